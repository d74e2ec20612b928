// VLMo-Base fine-tuned for Flickr30k retrieval with the reference's settings
// (task_finetune_irtr_f30k_base_image384: image 384, batch 3072, 1500 steps with 150 warm-up,
// lr 3e-5, drop path 0.15), evaluated on the 1k Karpathy test images with R@1/5/10.
//
// Data, under the directory you run the recipe from:
//   data/bert-base-uncased-vocab.txt          BERT uncased WordPiece vocabulary
//   checkpoints/vlmo_base_patch16_224.pt      the official pretrained VLMo-Base
//   data/flickr30k/dataset_flickr30k.json     Karpathy's split file
//   data/flickr30k/flickr30k-images/*.jpg     the images
//
// Run:  ./vlmo run recipes/finetune-retrieval-flickr30k.jsh           on the GPUs
//       ./vlmo run recipes/finetune-retrieval-flickr30k.jsh --smoke   the built-in world

var vlmo = Vlmo.base()
        .vocabulary(Path.of("data/bert-base-uncased-vocab.txt"))
        .startFrom(Path.of("checkpoints/vlmo_base_patch16_224.pt"));

try (var ret = vlmo.finetune(
        retrieval().data(flickr30k("data/flickr30k")).steps(1500).warmup(150).dropPath(0.15),
        runtime(on(gpus()).precision(Precision.FP16).runDir(Path.of("runs/f30k-retrieval-base")).logEvery(100)))) {
    System.out.println(ret.evaluation().printAll());
}
