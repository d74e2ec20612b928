package dev.vlmo.dsl.engine;

import dev.vlmo.datasets.batch.Batch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Row operations on batches: the first rows of a batch, and two batches of one layout joined. */
final class BatchRows {

    private BatchRows() {}

    /**
     * Returns the first rows of a batch.
     *
     * @param b the batch
     * @param n rows to keep, from 0 to {@code b.size()}
     * @return a batch of {@code n} rows with the same fields
     */
    static Batch take(Batch b, int n) {
        if (n == b.size()) {
            return b;
        }
        int t = b.textLen();
        int px = 3 * b.imageSize() * b.imageSize();
        Batch.Builder out = Batch.builder(n);
        if (b.textIds() != null) {
            out.text(t, Arrays.copyOf(b.textIds(), n * t), Arrays.copyOf(b.textMasks(), n * t));
            if (b.mlmIds() != null) {
                out.mlm(Arrays.copyOf(b.mlmIds(), n * t), Arrays.copyOf(b.mlmLabels(), n * t));
            }
        }
        if (b.images() != null) {
            out.images(b.imageSize(), Arrays.copyOf(b.images(), n * px));
        }
        if (b.images2() != null) {
            out.images2(Arrays.copyOf(b.images2(), n * px));
        }
        if (b.imageIds() != null) {
            out.imageIds(Arrays.copyOf(b.imageIds(), n));
        }
        if (b.patchMasks() != null) {
            out.patchMasks(b.numPatches(), Arrays.copyOf(b.patchMasks(), n * b.numPatches()));
        }
        if (b.labels() != null) {
            out.labels(Arrays.copyOf(b.labels(), n));
        }
        if (b.vqaTargets() != null) {
            out.vqaTargets(b.numAnswers(), Arrays.copyOf(b.vqaTargets(), n * b.numAnswers()));
        }
        if (b.texts() != null) {
            out.texts(b.texts().subList(0, n));
        }
        return out.build();
    }

    /**
     * Joins two batches made by collators of the same kind: the rows of {@code a}, then those of
     * {@code b}. An empty batch may lack fields; the other's layout is kept.
     *
     * @param a the first rows
     * @param b the next rows
     * @return a batch of {@code a.size() + b.size()} rows
     */
    static Batch concat(Batch a, Batch b) {
        if (b.size() == 0) {
            return a;
        }
        if (a.size() == 0) {
            return b;
        }
        int n = a.size() + b.size();
        Batch.Builder out = Batch.builder(n);
        if (a.textIds() != null) {
            out.text(
                    a.textLen(),
                    join(a.textIds(), b.textIds()),
                    join(a.textMasks(), b.textMasks()));
            if (a.mlmIds() != null) {
                out.mlm(join(a.mlmIds(), b.mlmIds()), join(a.mlmLabels(), b.mlmLabels()));
            }
        }
        if (a.images() != null) {
            if (a.imageSize() != b.imageSize()) {
                throw new IllegalStateException(
                        "cannot join batches of "
                                + a.imageSize()
                                + " and "
                                + b.imageSize()
                                + " px");
            }
            out.images(a.imageSize(), join(a.images(), b.images()));
        }
        if (a.images2() != null) {
            out.images2(join(a.images2(), b.images2()));
        }
        if (a.imageIds() != null) {
            out.imageIds(join(a.imageIds(), b.imageIds()));
        }
        if (a.patchMasks() != null) {
            boolean[] m =
                    Arrays.copyOf(a.patchMasks(), a.patchMasks().length + b.patchMasks().length);
            System.arraycopy(b.patchMasks(), 0, m, a.patchMasks().length, b.patchMasks().length);
            out.patchMasks(a.numPatches(), m);
        }
        if (a.labels() != null) {
            out.labels(join(a.labels(), b.labels()));
        }
        if (a.vqaTargets() != null) {
            out.vqaTargets(a.numAnswers(), join(a.vqaTargets(), b.vqaTargets()));
        }
        if (a.texts() != null) {
            List<String> texts = new ArrayList<>(a.texts());
            texts.addAll(b.texts());
            out.texts(texts);
        }
        return out.build();
    }

    private static int[] join(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static float[] join(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
