// VLMo-Base fine-tuned on NLVR2 with the reference's settings (task_finetune_nlvr2_base_image384:
// image 384, batch 128, 10 epochs, lr 5e-5, 10% warm-up): two fusion passes with token types 1
// and 2, evaluated on dev.
//
// Data, under the directory you run the recipe from:
//   data/bert-base-uncased-vocab.txt          BERT uncased WordPiece vocabulary
//   checkpoints/vlmo_base_patch16_224.pt      the official pretrained VLMo-Base
//   data/nlvr2/train.json, data/nlvr2/dev.json          the official JSON lines
//   data/nlvr2/images/train/DIR/*-img{0,1}.png          training image pairs
//   data/nlvr2/dev/*-img{0,1}.png                       dev image pairs
//
// Run:  ./vlmo run recipes/finetune-nlvr2.jsh           on the GPUs, into runs/nlvr2-base
//       ./vlmo run recipes/finetune-nlvr2.jsh --smoke   the built-in world, a few steps

var vlmo = Vlmo.base()
        .vocabulary(Path.of("data/bert-base-uncased-vocab.txt"))
        .startFrom(Path.of("checkpoints/vlmo_base_patch16_224.pt"));

try (var nlvr = vlmo.finetune(nlvr2().data(nlvr2Files("data/nlvr2")),
        runtime(on(gpus()).precision(Precision.FP16).runDir(Path.of("runs/nlvr2-base")).logEvery(100)))) {
    System.out.println(nlvr.evaluation().printAll());
}
