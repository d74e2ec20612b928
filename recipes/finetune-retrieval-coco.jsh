// VLMo-Base fine-tuned for COCO retrieval with the reference's settings
// (task_finetune_irtr_coco_base_image384: the dual encoder with the contrastive loss, image 384,
// batch 3072, 3000 steps with 300 warm-up, lr 3e-5, drop path 0.2), evaluated on the 5k Karpathy
// test images with R@1/5/10, and again with the top 16 candidates re-ranked by the ITM head.
//
// Data, under the directory you run the recipe from:
//   data/bert-base-uncased-vocab.txt          BERT uncased WordPiece vocabulary
//   checkpoints/vlmo_base_patch16_224.pt      the official pretrained VLMo-Base
//   data/coco/dataset_coco.json               Karpathy's split file
//   data/coco/train2014/, data/coco/val2014/  the COCO images (as dataset_coco.json names them)
//
// Run:  ./vlmo run recipes/finetune-retrieval-coco.jsh           on the GPUs
//       ./vlmo run recipes/finetune-retrieval-coco.jsh --smoke   the built-in world, a few steps

var vlmo = Vlmo.base()
        .vocabulary(Path.of("data/bert-base-uncased-vocab.txt"))
        .startFrom(Path.of("checkpoints/vlmo_base_patch16_224.pt"));

try (var ret = vlmo.finetune(retrieval().data(coco("data/coco")).rerankTop(16),
        runtime(on(gpus()).precision(Precision.FP16).runDir(Path.of("runs/coco-retrieval-base")).logEvery(100)))) {
    System.out.println(ret.evaluation().printAll());
}
