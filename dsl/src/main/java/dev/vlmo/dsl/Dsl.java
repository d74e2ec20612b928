package dev.vlmo.dsl;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Static factories that make a recipe read like the paper: {@code import static
 * dev.vlmo.dsl.Dsl.*;} then {@code Vlmo.base().stage(vision()).stage(text())
 * .stage(visionLanguage()).run(on(gpus()))}.
 */
public final class Dsl {

    private Dsl() {}

    /**
     * Stage 1: masked image modelling with the reference's defaults.
     *
     * @return the stage
     */
    public static Stage vision() {
        return Stage.vision();
    }

    /**
     * Stage 2: masked language modelling with the reference's defaults and freeze list.
     *
     * @return the stage
     */
    public static Stage text() {
        return Stage.text();
    }

    /**
     * Stage 3: ITC, ITM with hard negatives and MLM on image-text pairs, the reference's defaults.
     *
     * @return the stage
     */
    public static Stage visionLanguage() {
        return Stage.visionLanguage();
    }

    /**
     * Fine-tuning for VQA (fusion encoder, soft-score binary cross-entropy, answers from the data).
     *
     * @return the task, on the built-in world until {@code data(...)} is given
     */
    public static Finetune vqa() {
        return Finetune.of(Finetune.Task.VQA, false);
    }

    /**
     * Fine-tuning for NLVR2 (two fusion passes, token types 1 and 2, cross-entropy).
     *
     * @return the task, on the built-in world until {@code data(...)} is given
     */
    public static Finetune nlvr2() {
        return Finetune.of(Finetune.Task.NLVR2, false);
    }

    /**
     * Fine-tuning for image-text retrieval (the dual encoder with the contrastive loss).
     *
     * @return the task, on the built-in world until {@code data(...)} is given
     */
    public static Finetune retrieval() {
        return Finetune.of(Finetune.Task.RETRIEVAL, false);
    }

    /**
     * Full fine-tuning for image classification with the vision expert alone.
     *
     * @return the task, on the built-in world until {@code data(...)} is given
     */
    public static Finetune classification() {
        return Finetune.of(Finetune.Task.CLASSIFICATION, false);
    }

    /**
     * A linear probe: the classification head trained on the frozen vision expert.
     *
     * @return the task, on the built-in world until {@code data(...)} is given
     */
    public static Finetune linearProbe() {
        return Finetune.of(Finetune.Task.CLASSIFICATION, true);
    }

    /**
     * VQA v2 in its official files (questions, annotations, COCO train2014/val2014 images).
     *
     * @param root the folder
     * @return the data reference
     */
    public static DataRef.VqaV2 vqaV2(String root) {
        return new DataRef.VqaV2(Path.of(root), 9);
    }

    /**
     * NLVR2 in its official files ({@code train.json}, {@code dev.json} and the image pairs).
     *
     * @param root the folder
     * @return the data reference
     */
    public static DataRef nlvr2Files(String root) {
        return new DataRef.Nlvr2Files(Path.of(root));
    }

    /**
     * The built-in synthetic world (seed 0, 2000 training scenes, 200 per evaluation split).
     *
     * @return the data reference
     */
    public static DataRef.BuiltIn builtIn() {
        return new DataRef.BuiltIn(0, 2000, 200);
    }

    /**
     * A folder of class sub-folders of images.
     *
     * @param root the folder
     * @return the data reference
     */
    public static DataRef imageFolder(String root) {
        return new DataRef.ImageFolder(Path.of(root));
    }

    /**
     * Plain text files, one text per line.
     *
     * @param glob a file or glob such as {@code wiki/*.txt}
     * @return the data reference
     */
    public static DataRef textLines(String glob) {
        return new DataRef.TextLines(glob);
    }

    /**
     * WebDataset tar shards.
     *
     * @param shards a brace pattern such as {@code cc3m/{00000..00331}.tar}
     * @return the data reference
     */
    public static DataRef webDataset(String shards) {
        return new DataRef.WebDataset(shards);
    }

    /**
     * COCO captions (Karpathy splits) with their images.
     *
     * @param root the folder with {@code dataset_coco.json} and the images
     * @return the data reference
     */
    public static DataRef coco(String root) {
        return new DataRef.Karpathy(Path.of(root), "coco");
    }

    /**
     * Flickr30k captions (Karpathy splits) with their images.
     *
     * @param root the folder with {@code dataset_flickr30k.json} and the images
     * @return the data reference
     */
    public static DataRef flickr30k(String root) {
        return new DataRef.Karpathy(Path.of(root), "f30k");
    }

    /**
     * The reference's Arrow files of image-text pairs.
     *
     * @param files a file or glob of {@code .arrow} files
     * @return the data reference
     */
    public static DataRef arrowPairs(String files) {
        return new DataRef.Arrow(files, DataRef.Content.PAIRS);
    }

    /**
     * The reference's VQA v2 Arrow files ({@code vqav2_*.arrow}: image, questions, answers,
     * answer_labels, answer_scores, question_id), for {@code vqa().data(...)} together with {@code
     * .evalData(arrowVqa("vqav2_val.arrow"))}. The answer vocabulary is rebuilt from the files'
     * (label, answer) pairs.
     *
     * @param files a file or glob of {@code .arrow} files
     * @return the data reference
     */
    public static DataRef arrowVqa(String files) {
        return new DataRef.Arrow(files, DataRef.Content.VQA);
    }

    /**
     * The reference's NLVR2 Arrow files ({@code nlvr2_*.arrow}: image_0, image_1, questions,
     * answers "True"/"False", identifier), for {@code nlvr2().data(...)} together with {@code
     * .evalData(arrowNlvr2("nlvr2_dev.arrow"))}.
     *
     * @param files a file or glob of {@code .arrow} files
     * @return the data reference
     */
    public static DataRef arrowNlvr2(String files) {
        return new DataRef.Arrow(files, DataRef.Content.NLVR2);
    }

    /**
     * A runtime on the given devices, fp32, on the engine the {@code vlmo.engine} system property
     * names ({@code PyTorch}, the default, or {@code MXNet}); {@link Runtime#engine} overrides it.
     *
     * @param devices one or more devices
     * @return the runtime
     * @throws IllegalArgumentException if {@code vlmo.engine} names another engine
     */
    public static Runtime on(DeviceRef... devices) {
        List<DeviceRef> list = Arrays.asList(devices);
        Runtime r = new Runtime(list, "PyTorch", Precision.FP32, null, false, 10, false, false);
        String property = System.getProperty("vlmo.engine");
        if (property == null) {
            return r;
        }
        try {
            return r.engine(property);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "the system property vlmo.engine must be PyTorch or MXNet, got " + property, e);
        }
    }

    /**
     * The CPU.
     *
     * @return the device
     */
    public static DeviceRef cpu() {
        return new DeviceRef("cpu", -1);
    }

    /**
     * One GPU.
     *
     * @param index the GPU's index
     * @return the device
     */
    public static DeviceRef gpu(int index) {
        return new DeviceRef("gpu", index);
    }

    /**
     * Every visible GPU (the CPU when there is none).
     *
     * @return the device
     */
    public static DeviceRef gpus() {
        return new DeviceRef("gpus", -1);
    }
}
