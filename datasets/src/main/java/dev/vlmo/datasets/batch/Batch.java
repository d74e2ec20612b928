package dev.vlmo.datasets.batch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * One batch in the model's layout, as flat row-major Java arrays; parts a task does not use are
 * {@code null}. Dimension letters: B batch, T text length ({@code maxTextLen}), H = W image side, N
 * patches, A answers.
 *
 * <ul>
 *   <li>{@code textIds [B, T]}: {@code [CLS] ... [SEP]} padded with 0 to exactly T;
 *   <li>{@code textMasks [B, T]}: 1 for real tokens, 0 for padding;
 *   <li>{@code mlmIds, mlmLabels [B, T]}: masked ids and labels (-100 where no loss);
 *   <li>{@code images, images2 [B, 3, H, W]}: normalised pixels (images2: NLVR2's second image);
 *   <li>{@code imageIds [B]}: the image each text belongs to (retrieval, same-image negatives);
 *   <li>{@code patchMasks [B, N]}: BEiT block masks;
 *   <li>{@code labels [B]}: NLVR2 truth (0/1) or image class;
 *   <li>{@code vqaTargets [B, A]}: VQA soft scores.
 * </ul>
 */
public final class Batch {
    private final int size;
    private final int textLen;
    private final int[] textIds;
    private final int[] textMasks;
    private final int[] mlmIds;
    private final int[] mlmLabels;
    private final int imageSize;
    private final float[] images;
    private final float[] images2;
    private final int[] imageIds;
    private final int numPatches;
    private final boolean[] patchMasks;
    private final int[] labels;
    private final int numAnswers;
    private final float[] vqaTargets;
    private final List<String> texts;

    private Batch(Builder b) {
        this.size = b.size;
        this.textLen = b.textLen;
        this.textIds = b.textIds;
        this.textMasks = b.textMasks;
        this.mlmIds = b.mlmIds;
        this.mlmLabels = b.mlmLabels;
        this.imageSize = b.imageSize;
        this.images = b.images;
        this.images2 = b.images2;
        this.imageIds = b.imageIds;
        this.numPatches = b.numPatches;
        this.patchMasks = b.patchMasks;
        this.labels = b.labels;
        this.numAnswers = b.numAnswers;
        this.vqaTargets = b.vqaTargets;
        this.texts = b.texts == null ? null : List.copyOf(b.texts);
    }

    /**
     * Starts a batch of {@code size} samples.
     *
     * @param size the batch size B
     * @return a builder
     */
    public static Builder builder(int size) {
        return new Builder(size);
    }

    /**
     * Returns the number of samples B.
     *
     * @return the batch size
     */
    public int size() {
        return size;
    }

    /**
     * Returns the padded text length T (0 without text).
     *
     * @return T
     */
    public int textLen() {
        return textLen;
    }

    /**
     * Returns the text ids {@code [B, T]}, or {@code null}.
     *
     * @return row-major ids
     */
    public int[] textIds() {
        return textIds;
    }

    /**
     * Returns one row of text ids.
     *
     * @param b the sample
     * @return a copy of row b
     */
    public int[] textIds(int b) {
        return java.util.Arrays.copyOfRange(textIds, b * textLen, (b + 1) * textLen);
    }

    /**
     * Returns the text masks {@code [B, T]}, or {@code null}.
     *
     * @return row-major masks
     */
    public int[] textMasks() {
        return textMasks;
    }

    /**
     * Returns the MLM input ids {@code [B, T]}, or {@code null}.
     *
     * @return row-major ids
     */
    public int[] mlmIds() {
        return mlmIds;
    }

    /**
     * Returns the MLM labels {@code [B, T]}, or {@code null}.
     *
     * @return row-major labels, -100 where there is no loss
     */
    public int[] mlmLabels() {
        return mlmLabels;
    }

    /**
     * Returns the image side (0 without images).
     *
     * @return H = W
     */
    public int imageSize() {
        return imageSize;
    }

    /**
     * Returns the images {@code [B, 3, H, W]}, or {@code null}.
     *
     * @return row-major pixels
     */
    public float[] images() {
        return images;
    }

    /**
     * Returns NLVR2's second images {@code [B, 3, H, W]}, or {@code null}.
     *
     * @return row-major pixels
     */
    public float[] images2() {
        return images2;
    }

    /**
     * Returns the image id of each sample {@code [B]}, or {@code null}.
     *
     * @return the ids
     */
    public int[] imageIds() {
        return imageIds;
    }

    /**
     * Returns the number of patches per image N (0 without patch masks).
     *
     * @return N
     */
    public int numPatches() {
        return numPatches;
    }

    /**
     * Returns the patch masks {@code [B, N]}, or {@code null}.
     *
     * @return row-major flags
     */
    public boolean[] patchMasks() {
        return patchMasks;
    }

    /**
     * Returns the labels {@code [B]}, or {@code null}.
     *
     * @return the labels
     */
    public int[] labels() {
        return labels;
    }

    /**
     * Returns the number of answers A (0 without VQA targets).
     *
     * @return A
     */
    public int numAnswers() {
        return numAnswers;
    }

    /**
     * Returns the VQA targets {@code [B, A]}, or {@code null}.
     *
     * @return row-major soft scores
     */
    public float[] vqaTargets() {
        return vqaTargets;
    }

    /**
     * Returns the raw texts, or {@code null}.
     *
     * @return one text per sample
     */
    public List<String> texts() {
        return texts;
    }

    /**
     * Copies the batch into NDArrays named after the reference's batch keys: {@code text_ids},
     * {@code text_masks}, {@code text_ids_mlm}, {@code text_labels_mlm} (int64 {@code [B, T]}),
     * {@code image} and {@code image_2} (float32 {@code [B, 3, H, W]}), {@code image_ids} (int64
     * {@code [B]}), {@code patch_masks} (boolean {@code [B, N]}), {@code labels} (int64 {@code
     * [B]}) and {@code vqa_targets} (float32 {@code [B, A]}); absent parts are left out.
     *
     * @param manager the manager that will own the arrays
     * @return the named arrays
     */
    public NDList toNDList(NDManager manager) {
        NDList out = new NDList();
        if (textIds != null) {
            out.add(named(manager.create(longs(textIds), new Shape(size, textLen)), "text_ids"));
            out.add(
                    named(
                            manager.create(longs(textMasks), new Shape(size, textLen)),
                            "text_masks"));
        }
        if (mlmIds != null) {
            out.add(named(manager.create(longs(mlmIds), new Shape(size, textLen)), "text_ids_mlm"));
            out.add(
                    named(
                            manager.create(longs(mlmLabels), new Shape(size, textLen)),
                            "text_labels_mlm"));
        }
        Shape imageShape = new Shape(size, 3, imageSize, imageSize);
        if (images != null) {
            out.add(named(manager.create(images, imageShape), "image"));
        }
        if (images2 != null) {
            out.add(named(manager.create(images2, imageShape), "image_2"));
        }
        if (imageIds != null) {
            out.add(named(manager.create(longs(imageIds), new Shape(size)), "image_ids"));
        }
        if (patchMasks != null) {
            out.add(named(manager.create(patchMasks, new Shape(size, numPatches)), "patch_masks"));
        }
        if (labels != null) {
            out.add(named(manager.create(longs(labels), new Shape(size)), "labels"));
        }
        if (vqaTargets != null) {
            out.add(named(manager.create(vqaTargets, new Shape(size, numAnswers)), "vqa_targets"));
        }
        return out;
    }

    private static NDArray named(NDArray a, String name) {
        a.setName(name);
        return a;
    }

    private static long[] longs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    @Override
    public String toString() {
        return "Batch(B="
                + size
                + (textIds != null ? ", T=" + textLen : "")
                + (images != null ? ", image=" + imageSize : "")
                + (images2 != null ? ", image2" : "")
                + (mlmIds != null ? ", mlm" : "")
                + (patchMasks != null ? ", patches=" + numPatches : "")
                + (labels != null ? ", labels" : "")
                + (vqaTargets != null ? ", answers=" + numAnswers : "")
                + ")";
    }

    /** Assembles a batch; each setter checks that its array matches the batch size. */
    public static final class Builder {
        private final int size;
        private int textLen;
        private int[] textIds;
        private int[] textMasks;
        private int[] mlmIds;
        private int[] mlmLabels;
        private int imageSize;
        private float[] images;
        private float[] images2;
        private int[] imageIds;
        private int numPatches;
        private boolean[] patchMasks;
        private int[] labels;
        private int numAnswers;
        private float[] vqaTargets;
        private List<String> texts;

        private Builder(int size) {
            if (size < 0) {
                throw new IllegalArgumentException("batch size must be >= 0, got " + size);
            }
            this.size = size;
        }

        /**
         * Sets the padded text.
         *
         * @param textLen T
         * @param ids {@code [B, T]} ids
         * @param masks {@code [B, T]} masks
         * @return this builder
         */
        public Builder text(int textLen, int[] ids, int[] masks) {
            check("text ids", ids.length, size * textLen);
            check("text masks", masks.length, size * textLen);
            this.textLen = textLen;
            this.textIds = ids;
            this.textMasks = masks;
            return this;
        }

        /**
         * Sets the MLM inputs and labels (after {@link #text}).
         *
         * @param ids {@code [B, T]} masked ids
         * @param labels {@code [B, T]} labels
         * @return this builder
         */
        public Builder mlm(int[] ids, int[] labels) {
            check("mlm ids", ids.length, size * textLen);
            check("mlm labels", labels.length, size * textLen);
            this.mlmIds = ids;
            this.mlmLabels = labels;
            return this;
        }

        /**
         * Sets the images.
         *
         * @param imageSize H = W
         * @param pixels {@code [B, 3, H, W]}
         * @return this builder
         */
        public Builder images(int imageSize, float[] pixels) {
            check("images", pixels.length, size * 3 * imageSize * imageSize);
            this.imageSize = imageSize;
            this.images = pixels;
            return this;
        }

        /**
         * Sets the second images of NLVR2 pairs (after {@link #images}).
         *
         * @param pixels {@code [B, 3, H, W]}
         * @return this builder
         */
        public Builder images2(float[] pixels) {
            check("second images", pixels.length, size * 3 * imageSize * imageSize);
            this.images2 = pixels;
            return this;
        }

        /**
         * Sets the image ids.
         *
         * @param ids {@code [B]}
         * @return this builder
         */
        public Builder imageIds(int[] ids) {
            check("image ids", ids.length, size);
            this.imageIds = ids;
            return this;
        }

        /**
         * Sets the patch masks.
         *
         * @param numPatches N
         * @param masks {@code [B, N]}
         * @return this builder
         */
        public Builder patchMasks(int numPatches, boolean[] masks) {
            check("patch masks", masks.length, size * numPatches);
            this.numPatches = numPatches;
            this.patchMasks = masks;
            return this;
        }

        /**
         * Sets the labels.
         *
         * @param labels {@code [B]}
         * @return this builder
         */
        public Builder labels(int[] labels) {
            check("labels", labels.length, size);
            this.labels = labels;
            return this;
        }

        /**
         * Sets the VQA targets.
         *
         * @param numAnswers A
         * @param targets {@code [B, A]}
         * @return this builder
         */
        public Builder vqaTargets(int numAnswers, float[] targets) {
            check("vqa targets", targets.length, size * numAnswers);
            this.numAnswers = numAnswers;
            this.vqaTargets = targets;
            return this;
        }

        /**
         * Keeps the raw texts for inspection.
         *
         * @param texts one per sample
         * @return this builder
         */
        public Builder texts(List<String> texts) {
            check("texts", texts.size(), size);
            this.texts = texts;
            return this;
        }

        /**
         * Builds the batch.
         *
         * @return the batch
         */
        public Batch build() {
            return new Batch(this);
        }

        private static void check(String what, int got, int want) {
            if (got != want) {
                throw new IllegalArgumentException(
                        what + " has " + got + " entries, the batch layout needs " + want);
            }
        }
    }
}
