// VLMo-Base fine-tuned on VQA v2 with the reference's settings (task_finetune_vqa_base_image480:
// image 480, batch 128, 10 epochs, lr 3e-5 with the head at 20x, 10% warm-up, drop path 0.15),
// then evaluated on val2014 with the official VQA accuracy; predictions and a test-dev style
// submission file are written next to the run.
//
// Data, under the directory you run the recipe from:
//   data/bert-base-uncased-vocab.txt                      BERT uncased WordPiece vocabulary
//   checkpoints/vlmo_base_patch16_224.pt                  the official pretrained VLMo-Base (or
//                                                         your run's .../model.params)
//   data/vqav2/v2_OpenEnded_mscoco_{train,val}2014_questions.json
//   data/vqav2/v2_mscoco_{train,val}2014_annotations.json
//   data/vqav2/{train,val}2014/COCO_{train,val}2014_000000XXXXXX.jpg
//
// Run:  ./vlmo run recipes/finetune-vqa.jsh           on the GPUs, into runs/vqa-base
//       ./vlmo run recipes/finetune-vqa.jsh --smoke   the built-in world, a few steps

var vlmo = Vlmo.base()
        .vocabulary(Path.of("data/bert-base-uncased-vocab.txt"))
        .startFrom(Path.of("checkpoints/vlmo_base_patch16_224.pt"));

try (var vqa = vlmo.finetune(vqa().data(vqaV2("data/vqav2")),
        runtime(on(gpus()).precision(Precision.FP16).runDir(Path.of("runs/vqa-base")).logEvery(100)))) {
    System.out.println(vqa.evaluation().printAll());
    System.out.println("predictions: " + vqa.runDir());
}
