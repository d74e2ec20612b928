package dev.vlmo.datasets.batch;

import dev.vlmo.datasets.BadInputs;
import dev.vlmo.datasets.ImageRef;
import dev.vlmo.datasets.ImageText;
import dev.vlmo.datasets.LabeledImage;
import dev.vlmo.datasets.Nlvr2Example;
import dev.vlmo.datasets.VqaExample;
import dev.vlmo.datasets.image.ImageTransform;
import dev.vlmo.datasets.image.RgbImage;
import dev.vlmo.datasets.masking.BlockMaskGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Collators for each kind of training data: image-text pairs, text only, images only, VQA and
 * NLVR2. Bad samples (an empty or, optionally, over-long text, an image that fails to load) are
 * reported to {@link BadInputs} and left out of the batch.
 */
public final class Collators {
    private Collators() {}

    /**
     * Collates image-text pairs: text (and MLM when the encoder has a masker), images and ids.
     *
     * @param text the text encoder
     * @param transform the image transform
     * @return the collator
     */
    public static Collator<ImageText> imageText(TextEncoder text, ImageTransform transform) {
        return (samples, rng, bad) -> {
            Rows rows = new Rows(text, transform.size());
            for (ImageText s : samples) {
                SplittableRandom r = rng.split();
                TextEncoder.Row t = text.encode(s.text(), "caption of " + s.image().name(), r, bad);
                if (t == null) {
                    continue;
                }
                float[] img = image(s.image(), transform, r, bad);
                if (img == null) {
                    continue;
                }
                rows.add(t, img, null, s.imageId(), 0, null, null, s.text());
            }
            return rows.build(false, false, false);
        };
    }

    /**
     * Collates text-only samples: text and MLM.
     *
     * @param text the text encoder (with a masker for MLM)
     * @return the collator
     */
    public static Collator<String> text(TextEncoder text) {
        return (samples, rng, bad) -> {
            Rows rows = new Rows(text, 0);
            int i = 0;
            for (String s : samples) {
                SplittableRandom r = rng.split();
                TextEncoder.Row t = text.encode(s, "text #" + i++ + " of the batch", r, bad);
                if (t != null) {
                    rows.add(t, null, null, -1, 0, null, null, s);
                }
            }
            return rows.build(false, false, false);
        };
    }

    /**
     * Collates image-only samples: images, class labels and, when a generator is given, BEiT block
     * masks.
     *
     * @param transform the image transform
     * @param masks the patch mask generator, or {@code null}
     * @return the collator
     */
    public static Collator<LabeledImage> images(
            ImageTransform transform, BlockMaskGenerator masks) {
        return (samples, rng, bad) -> {
            Rows rows = new Rows(null, transform.size());
            for (LabeledImage s : samples) {
                SplittableRandom r = rng.split();
                float[] img = image(s.image(), transform, r, bad);
                if (img == null) {
                    continue;
                }
                boolean[] m = masks == null ? null : masks.generate(r);
                rows.add(null, img, null, -1, s.label(), null, m, null);
            }
            return rows.build(true, false, false);
        };
    }

    /**
     * Collates VQA samples: question text, image and soft-score targets over the answers.
     *
     * @param text the text encoder
     * @param transform the image transform
     * @param numAnswers the size of the answer vocabulary A
     * @return the collator
     */
    public static Collator<VqaExample> vqa(
            TextEncoder text, ImageTransform transform, int numAnswers) {
        return (samples, rng, bad) -> {
            Rows rows = new Rows(text, transform.size());
            rows.numAnswers = numAnswers;
            for (VqaExample s : samples) {
                SplittableRandom r = rng.split();
                TextEncoder.Row t = text.encode(s.question(), "question " + s.questionId(), r, bad);
                if (t == null) {
                    continue;
                }
                float[] img = image(s.image(), transform, r, bad);
                if (img == null) {
                    continue;
                }
                float[] target = new float[numAnswers];
                for (int k = 0; k < s.labels().length; k++) {
                    int l = s.labels()[k];
                    if (l < 0 || l >= numAnswers) {
                        throw new IllegalArgumentException(
                                "answer label "
                                        + l
                                        + " of question "
                                        + s.questionId()
                                        + " is outside the "
                                        + numAnswers
                                        + " answers of the collator");
                    }
                    target[l] = s.scores()[k];
                }
                rows.add(t, img, null, s.imageId(), 0, target, null, s.question());
            }
            return rows.build(false, true, false);
        };
    }

    /**
     * Collates NLVR2 samples: statement, both images and the truth label (1 true, 0 false).
     *
     * @param text the text encoder
     * @param transform the image transform
     * @return the collator
     */
    public static Collator<Nlvr2Example> nlvr2(TextEncoder text, ImageTransform transform) {
        return (samples, rng, bad) -> {
            Rows rows = new Rows(text, transform.size());
            for (Nlvr2Example s : samples) {
                SplittableRandom r = rng.split();
                TextEncoder.Row t =
                        text.encode(s.statement(), "statement " + s.identifier(), r, bad);
                if (t == null) {
                    continue;
                }
                float[] a = image(s.left(), transform, r, bad);
                if (a == null) {
                    continue;
                }
                float[] b = image(s.right(), transform, r, bad);
                if (b == null) {
                    continue;
                }
                rows.add(t, a, b, -1, s.label() ? 1 : 0, null, null, s.statement());
            }
            return rows.build(true, false, true);
        };
    }

    /**
     * Loads and transforms one image, or reports it as bad input.
     *
     * @param ref the image
     * @param transform the transform
     * @param rng the sample's random stream
     * @param bad where to report
     * @return {@code 3 x size x size} floats, or {@code null} when skipped
     */
    public static float[] image(
            ImageRef ref, ImageTransform transform, SplittableRandom rng, BadInputs bad) {
        RgbImage img;
        try {
            img = ref.load();
        } catch (IOException | RuntimeException e) {
            bad.report("bad image", ref.name(), e);
            return null;
        }
        return transform.apply(img, rng);
    }

    /** Accumulates rows and concatenates them into a batch. */
    private static final class Rows {
        final TextEncoder text;
        final int imageSize;
        int numAnswers;
        final List<TextEncoder.Row> texts = new ArrayList<>();
        final List<float[]> images = new ArrayList<>();
        final List<float[]> images2 = new ArrayList<>();
        final List<Integer> imageIds = new ArrayList<>();
        final List<Integer> labels = new ArrayList<>();
        final List<float[]> targets = new ArrayList<>();
        final List<boolean[]> patchMasks = new ArrayList<>();
        final List<String> raw = new ArrayList<>();

        Rows(TextEncoder text, int imageSize) {
            this.text = text;
            this.imageSize = imageSize;
        }

        void add(
                TextEncoder.Row t,
                float[] img,
                float[] img2,
                int imageId,
                int label,
                float[] target,
                boolean[] patchMask,
                String rawText) {
            if (t != null) {
                texts.add(t);
                raw.add(rawText);
            }
            if (img != null) {
                images.add(img);
            }
            if (img2 != null) {
                images2.add(img2);
            }
            imageIds.add(imageId);
            labels.add(label);
            if (target != null) {
                targets.add(target);
            }
            if (patchMask != null) {
                patchMasks.add(patchMask);
            }
        }

        Batch build(boolean withLabels, boolean withTargets, boolean withImages2) {
            int b = imageIds.size();
            Batch.Builder out = Batch.builder(b);
            if (!texts.isEmpty() || (text != null && b == 0)) {
                int len = text.maxTextLen();
                int[] ids = new int[b * len];
                int[] masks = new int[b * len];
                boolean mlm = text.masker() != null;
                int[] mIds = mlm ? new int[b * len] : null;
                int[] mLabels = mlm ? new int[b * len] : null;
                for (int i = 0; i < b; i++) {
                    TextEncoder.Row r = texts.get(i);
                    System.arraycopy(r.ids(), 0, ids, i * len, len);
                    System.arraycopy(r.mask(), 0, masks, i * len, len);
                    if (mlm) {
                        System.arraycopy(r.mlmIds(), 0, mIds, i * len, len);
                        System.arraycopy(r.mlmLabels(), 0, mLabels, i * len, len);
                    }
                }
                out.text(len, ids, masks).texts(raw);
                if (mlm) {
                    out.mlm(mIds, mLabels);
                }
            }
            if (imageSize > 0) {
                out.images(imageSize, concat(images, 3 * imageSize * imageSize));
                if (withImages2) {
                    out.images2(concat(images2, 3 * imageSize * imageSize));
                }
            }
            if (imageIds.stream().anyMatch(x -> x >= 0)) {
                out.imageIds(imageIds.stream().mapToInt(Integer::intValue).toArray());
            }
            if (withLabels) {
                out.labels(labels.stream().mapToInt(Integer::intValue).toArray());
            }
            if (withTargets) {
                out.vqaTargets(numAnswers, concat(targets, numAnswers));
            }
            if (!patchMasks.isEmpty()) {
                int n = patchMasks.get(0).length;
                boolean[] m = new boolean[b * n];
                for (int i = 0; i < b; i++) {
                    System.arraycopy(patchMasks.get(i), 0, m, i * n, n);
                }
                out.patchMasks(n, m);
            }
            return out.build();
        }

        private static float[] concat(List<float[]> parts, int each) {
            float[] out = new float[parts.size() * each];
            for (int i = 0; i < parts.size(); i++) {
                System.arraycopy(parts.get(i), 0, out, i * each, each);
            }
            return out;
        }
    }
}
