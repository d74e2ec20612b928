// The vision expert of VLMo-Base as an image classifier, ImageNet style: a linear probe on the
// frozen encoder, then full fine-tuning (BEiT's base settings: lr 4e-3 at batch 1024, 100 epochs,
// 20 warm-up, weight decay 0.05, drop path 0.1; the reference has no classification recipe).
// Both report top-1 and top-5 accuracy on the validation folder.
//
// Data, under the directory you run the recipe from:
//   checkpoints/vlmo_base_patch16_224.pt      the official pretrained VLMo-Base
//   data/imagenet/train/CLASS/*.JPEG          training images, one folder per class
//   data/imagenet/val/CLASS/*.JPEG            validation images, the same class folders
//
// Run:  ./vlmo run recipes/finetune-classification.jsh           on the GPUs
//       ./vlmo run recipes/finetune-classification.jsh --smoke   the built-in world

var vlmo = Vlmo.base().startFrom(Path.of("checkpoints/vlmo_base_patch16_224.pt"));
var rt = runtime(on(gpus()).precision(Precision.FP16).runDir(Path.of("runs/imagenet-base")).logEvery(100));

try (var probe = vlmo.finetune(
        linearProbe().data(imageFolder("data/imagenet/train"))
                .evalData(imageFolder("data/imagenet/val")), rt)) {
    System.out.println(probe.evaluation().printAll());
}
try (var full = vlmo.finetune(
        classification().data(imageFolder("data/imagenet/train"))
                .evalData(imageFolder("data/imagenet/val")), rt)) {
    System.out.println(full.evaluation().printAll());
}
