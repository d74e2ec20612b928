// VLMo-Base+ (hidden 544, 24 layers, VL experts in the top 3): the paper's stagewise pretraining
// (vision, then language, then vision-language) with the reference implementation's data,
// steps, batch sizes and learning rates (stage 3's learning rate is the preset's).
//
// Data, under data/ in the directory you run the recipe from (paths in a recipe are relative to
// it; from the repository root, ./vlmo run recipes/basePlus.jsh reads ./data/...):
//   data/bert-base-uncased-vocab.txt      BERT uncased WordPiece vocabulary (30522 tokens), the
//                                         tokenizer of every official checkpoint
//   data/imagenet22k/CLASS/*.jpg          ImageNet-22k as an image folder (stage 1, as BEiT)
//   data/wikipedia/*.txt                  English Wikipedia, one text per line (stage 2)
//   data/bookcorpus/*.txt                 BookCorpus, one text per line (stage 2)
//   data/coco/                            COCO images with dataset_coco.json (Karpathy splits)
//   data/vg/vg.arrow                      Visual Genome captions, the reference's Arrow file
//   data/cc3m/{00000..00331}.tar          Conceptual Captions as WebDataset shards (img2dataset)
//   data/sbu/{00000..00099}.tar           SBU Captions as WebDataset shards (img2dataset)
//                                         (adjust both shard ranges to the shards you have)
// Stage 3's four sources make the paper's 4M images and 10M image-text pairs.
//
// Run:  ./vlmo run recipes/basePlus.jsh           on the GPUs; checkpoints and metrics go to
//                                                 runs/basePlus, and running it again resumes there
//       ./vlmo run recipes/basePlus.jsh --smoke   the built-in world, a few steps, tiny dimensions

var vlmo = Vlmo.basePlus()
        .vocabulary(Path.of("data/bert-base-uncased-vocab.txt"))
        // stage 1: masked image modelling; attention and the vision expert learn (BEiT's recipe)
        .stage(vision()
                .data(imageFolder("data/imagenet22k"))
                .steps(500_000).batchSize(2048).learningRate(1.5e-3).warmup(0.0125))
        // stage 2: masked language modelling; only the language expert and embeddings learn
        .stage(text()
                .data(textLines("data/wikipedia/*.txt"), textLines("data/bookcorpus/*.txt"))
                .steps(200_000).batchSize(1024).learningRate(2e-4).warmup(0.1))
        // stage 3: ITC + ITM with global hard negatives + 0.25 MLM on image-text pairs
        .stage(visionLanguage()
                .data(coco("data/coco"), arrowPairs("data/vg/vg.arrow"),
                        webDataset("data/cc3m/{00000..00331}.tar"),
                        webDataset("data/sbu/{00000..00099}.tar"))
                .steps(200_000).batchSize(1024).learningRate(1e-4).warmup(2500));

// fp16 mixed precision with dynamic loss scaling, as the reference trains on GPUs
var rt = runtime(on(gpus()).precision(Precision.FP16).runDir(Path.of("runs/basePlus")).resume(true).logEvery(100));
System.out.println(vlmo.compile(rt).describe().printAll());

try (var run = vlmo.run(rt)) {
    System.out.println(run.metrics().last(3).printAll());
    System.out.println("run directory: " + run.runDir());
}
