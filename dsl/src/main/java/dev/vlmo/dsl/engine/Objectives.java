package dev.vlmo.dsl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.dsl.ItmNegatives;
import dev.vlmo.dsl.Plan;
import dev.vlmo.dsl.Stage;
import dev.vlmo.model.ClsEncoding;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoModel;
import dev.vlmo.model.objectives.HardNegatives;
import dev.vlmo.model.objectives.Losses;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The loss of one micro-batch for each kind of stage, over data-parallel shards (B rows split into
 * K equal shards, one per parameter store). Features are gathered on the first device, so
 * contrastive learning and negative sampling see the global batch when the stage asks for it.
 */
final class Objectives {

    private Objectives() {}

    /**
     * Computes a stage's losses on one micro-batch.
     *
     * @param visualTokenizer the tokenizer of a vision stage with visual-token targets, else null
     */
    static Map<String, NDArray> compute(
            VlmoModel model,
            Plan.StagePlan p,
            Trainer.Inputs in,
            List<ParameterStore> stores,
            Random random,
            NDManager sm,
            VisualTokenizer visualTokenizer) {
        if (in.size() % stores.size() != 0) {
            // the plan checks the batch against the devices it names; gpus() names them only when
            // the run starts, and the objectives pair rows across equal shards
            throw new IllegalArgumentException(
                    "stage "
                            + p.index()
                            + ": a micro-batch of "
                            + in.size()
                            + " rows does not split evenly across "
                            + stores.size()
                            + " devices; use a batchSize (divided by gradientAccumulation) that is"
                            + " a multiple of "
                            + stores.size());
        }
        return switch (p.stage().kind()) {
            case VISION -> vision(model, p, in, stores, sm, visualTokenizer);
            case TEXT -> text(model, in, stores, sm);
            case VISION_LANGUAGE -> visionLanguage(model, p, in, stores, random, sm);
        };
    }

    private static ParameterStore ps(List<ParameterStore> stores, int i) {
        return stores.get(i);
    }

    // ------------------------------------------------------------------ stage 1

    private static Map<String, NDArray> vision(
            VlmoModel model,
            Plan.StagePlan p,
            Trainer.Inputs in,
            List<ParameterStore> stores,
            NDManager sm,
            VisualTokenizer visualTokenizer) {
        boolean tokens = p.stage().mimTarget() instanceof dev.vlmo.dsl.MimTarget.Tokens;
        if (tokens && visualTokenizer == null) {
            throw new IllegalStateException(
                    "stage " + p.index() + " predicts visual tokens but no tokenizer is loaded");
        }
        List<Trainer.Inputs> sh = Shards.split(in, stores);
        List<NDArray> preds = new ArrayList<>();
        List<NDArray> targets = new ArrayList<>();
        List<NDArray> masks = new ArrayList<>();
        int patch = model.config().patchSize();
        for (int i = 0; i < sh.size(); i++) {
            Trainer.Inputs x = sh.get(i);
            NDArray target =
                    tokens
                            ? visualTokenizer.tokens(
                                    x.images(), (int) x.patchMask().getShape().get(1))
                            : pixelTargets(x.images(), patch);
            // the last block's output, the head and the loss at the masked patches alone (BEiT
            // computes the head and the loss there)
            Masked masked = maskedPositions(x.patchMaskHost());
            NDArray[] rows = maskedRows(x.patchMask(), masked);
            NDArray states =
                    model.encodeImageAt(
                            ps(stores, i), x.images(), x.patchMask(), masked.positions(), true);
            preds.add(model.mimPatchLogits(ps(stores, i), states, true)); // (M, targets)
            targets.add(
                    tokens
                            ? target.reshape(-1).get(rows[0])
                            : target.reshape(-1, target.getShape().get(2)).get(rows[0]));
            masks.add(rows[1]);
        }
        // one row per masked patch of the global batch: (1, M, ...) for the per-patch losses
        NDArray pred = Shards.gather(preds, sm).expandDims(0);
        NDArray target = Shards.gather(targets, sm).expandDims(0);
        NDArray weight = Shards.gather(masks, sm).expandDims(0);
        NDArray loss =
                tokens
                        ? maskedTokenLoss(pred, target, weight)
                        : Losses.maskedMse(pred, target, weight);
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("loss", loss);
        out.put("mim", loss);
        return out;
    }

    /**
     * The masked patches of a (B, P) mask as rows of the flattened (B*P) patches: their indices and
     * a weight of 1 each. With nothing masked, patch 0 with weight 0 keeps the loss a graph node
     * (of value 0).
     *
     * @param patchMask (B, P) with 1 at masked patches
     * @param masked the positions read from it
     * @return {indices (M), weights (M)}
     */
    private static NDArray[] maskedRows(NDArray patchMask, Masked masked) {
        NDManager mgr = patchMask.getManager();
        long k = masked.positions().length;
        // the gather's backward keeps the index: it must live in engine-owned memory
        return new NDArray[] {
            Engines.owned(mgr.create(masked.positions())),
            masked.none() ? mgr.zeros(new Shape(k)) : mgr.ones(new Shape(k))
        };
    }

    /**
     * Masked patches as indices into the flattened B*P patches, read from the host copy of the (B,
     * P) mask; with nothing masked, patch 0 and {@code none} (the loss weighs it 0).
     */
    record Masked(long[] positions, boolean none) {}

    static Masked maskedPositions(float[] m) {
        long[] rows = where(m.length, r -> m[r] > 0.5f);
        return rows.length == 0 ? new Masked(new long[] {0}, true) : new Masked(rows, false);
    }

    /** The indices in [0, n) that {@code keep} accepts, in order. */
    private static long[] where(int n, java.util.function.IntPredicate keep) {
        return java.util.stream.IntStream.range(0, n).filter(keep).asLongStream().toArray();
    }

    /**
     * BEiT's MIM loss: cross-entropy of the predicted visual token at the masked patches only.
     *
     * @param logits (B, P, V)
     * @param ids (B, P) the tokenizer's tokens
     * @param mask (B, P) with 1 at masked patches
     * @return a scalar
     */
    static NDArray maskedTokenLoss(NDArray logits, NDArray ids, NDArray mask) {
        long v = logits.getShape().get(2);
        NDArray ignore = ids.getManager().full(ids.getShape(), Losses.IGNORE, DataType.INT64);
        NDArray labels = NDArrays.where(mask.gt(0.5f), ids, ignore);
        return Losses.crossEntropy(logits.reshape(-1, v), labels.reshape(-1));
    }

    /**
     * The default MIM target: each patch's pixels (channel last), normalised to mean 0 and variance
     * 1 within the patch.
     *
     * @param images (B, 3, S, S)
     * @param patch the patch side P
     * @return (B, (S/P)^2, 3 P^2)
     */
    static NDArray pixelTargets(NDArray images, int patch) {
        Shape s = images.getShape();
        long b = s.get(0);
        long g = s.get(2) / patch;
        NDArray x =
                images.reshape(b, 3, g, patch, g, patch)
                        .transpose(0, 2, 4, 3, 5, 1)
                        .reshape(b, g * g, (long) patch * patch * 3);
        NDArray mean = x.mean(new int[] {-1}, true);
        NDArray var = x.sub(mean).square().mean(new int[] {-1}, true);
        return x.sub(mean).div(var.add(1e-6f).sqrt());
    }

    // ------------------------------------------------------------------ stage 2

    private static Map<String, NDArray> text(
            VlmoModel model, Trainer.Inputs in, List<ParameterStore> stores, NDManager sm) {
        List<Trainer.Inputs> sh = Shards.split(in, stores);
        List<NDArray> logits = new ArrayList<>();
        List<NDArray> labels = new ArrayList<>();
        for (int i = 0; i < sh.size(); i++) {
            Trainer.Inputs x = sh.get(i);
            ParameterStore store = ps(stores, i);
            masked(
                    model,
                    store,
                    rows -> model.encodeTextAt(store, x.mlmIds(), x.mask(), rows, true),
                    x.mlmLabels(),
                    x.mlmLabelsHost(),
                    logits,
                    labels);
        }
        NDArray loss = Losses.crossEntropy(Shards.gather(logits, sm), Shards.gather(labels, sm));
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("loss", loss);
        out.put("mlm", loss);
        return out;
    }

    /**
     * MLM logits and labels of the masked positions only: the loss ignores every other position, so
     * the vocabulary projection (D x V per position, the largest matrix of the model) runs on about
     * 15% of the rows the reference computes it on, for the same loss; so do the last block's
     * output projection and expert ({@code feats} gets the masked positions).
     *
     * @param feats the final hidden states (M, D) at flattened (B*T) positions
     * @param mlmLabels (B, T) token ids at masked positions, {@link Losses#IGNORE} elsewhere
     * @param lv the same labels on the host, row-major (the masked rows are found there)
     */
    private static void masked(
            VlmoModel model,
            ParameterStore ps,
            java.util.function.Function<long[], NDArray> feats,
            NDArray mlmLabels,
            long[] lv,
            List<NDArray> logits,
            List<NDArray> labels) {
        NDArray lab = mlmLabels.reshape(-1); // (B*T)
        long[] rows = where(lv.length, r -> lv[r] != Losses.IGNORE);
        if (rows.length == 0) {
            // nothing masked: one row keeps the loss a graph node (its label is ignored)
            rows = new long[] {0};
        }
        NDArray idx = Engines.owned(mlmLabels.getManager().create(rows));
        NDArray l = model.mlmLogits(ps, feats.apply(rows).expandDims(0), true); // (1, K, V)
        logits.add(l.reshape(-1, l.getShape().get(2)));
        labels.add(lab.get(idx));
    }

    // ------------------------------------------------------------------ stage 3

    private static Map<String, NDArray> visionLanguage(
            VlmoModel model,
            Plan.StagePlan p,
            Trainer.Inputs in,
            List<ParameterStore> stores,
            Random random,
            NDManager sm) {
        Stage s = p.stage();
        List<Trainer.Inputs> sh = Shards.split(in, stores);
        int k = sh.size();
        int per = in.size() / k;
        Map<String, NDArray> out = new LinkedHashMap<>();
        NDArray total = null;

        // ITC: dual-encoder features of every shard, gathered for the global similarity matrix
        NDArray i2t = null;
        if (s.itc() || s.itm() == ItmNegatives.HARD) {
            List<NDArray> img = new ArrayList<>();
            List<NDArray> txt = new ArrayList<>();
            List<NDArray> imgVl = new ArrayList<>();
            List<NDArray> txtVl = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                Trainer.Inputs x = sh.get(i);
                // only [CLS] is read: the last blocks run for it alone (the same loss and
                // gradients up to rounding)
                ClsEncoding ie = model.encodeImageCls(ps(stores, i), x.images(), s.vlItc(), true);
                ClsEncoding te =
                        model.encodeTextCls(ps(stores, i), x.ids(), x.mask(), s.vlItc(), true);
                img.add(ie.itc());
                txt.add(te.itc());
                if (s.vlItc()) {
                    imgVl.add(ie.vlItc());
                    txtVl.add(te.vlItc());
                }
            }
            NDArray scale = model.logitScale(stores.get(0), Shards.gather(img, sm), false, true);
            Losses.Contrastive main = contrast(img, txt, scale, s.globalNegatives(), k, per, sm);
            i2t = main.imageToText();
            NDArray itc = main.loss();
            if (s.vlItc()) {
                NDArray vlScale = model.logitScale(stores.get(0), i2t, true, true);
                Losses.Contrastive vl =
                        contrast(imgVl, txtVl, vlScale, s.globalNegatives(), k, per, sm);
                itc = itc.add(vl.loss());
                itc = itc.mul(Engines.scalar(itc, 0.5f));
            }
            if (s.itc()) {
                out.put("itc", itc);
                total = itc;
            }
        }

        // ITM: positives, a negative image per text and a negative text per image
        if (s.itm() != ItmNegatives.NONE) {
            int n = in.size();
            float[] sim = i2t == null ? new float[n * n] : i2t.toFloatArray();
            float[] simT = transpose(sim, n);
            long[] ids = s.excludeSameImageNegatives() ? in.imageIds() : null;
            boolean hard = s.itm() == ItmNegatives.HARD;
            NDArray allImages = in.images();
            NDArray allIds = in.ids();
            NDArray allMask = in.mask();
            // global negatives are drawn once over the whole batch, so the draws do not depend on
            // how the batch is split into shards
            int[] globalImg = null;
            int[] globalTxt = null;
            if (s.globalNegatives()) {
                globalImg = HardNegatives.sample(simT, n, n, 0, ids, hard, random);
                globalTxt = HardNegatives.sample(sim, n, n, 0, ids, hard, random);
            }
            List<NDArray> logits = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                Trainer.Inputs x = sh.get(i);
                int from = s.globalNegatives() ? 0 : i * per;
                int cols = s.globalNegatives() ? n : per;
                int offset = s.globalNegatives() ? i * per : 0;
                float[] rowsT2i = rows(simT, n, i * per, per, from, cols);
                float[] rowsI2t = rows(sim, n, i * per, per, from, cols);
                long[] candIds =
                        ids == null ? null : java.util.Arrays.copyOfRange(ids, from, from + cols);
                int[] negImg =
                        s.globalNegatives()
                                ? java.util.Arrays.copyOfRange(globalImg, i * per, (i + 1) * per)
                                : HardNegatives.sample(
                                        rowsT2i, per, cols, offset, candIds, hard, random);
                int[] negTxt =
                        s.globalNegatives()
                                ? java.util.Arrays.copyOfRange(globalTxt, i * per, (i + 1) * per)
                                : HardNegatives.sample(
                                        rowsI2t, per, cols, offset, candIds, hard, random);
                NDManager m = stores.get(i).getManager();
                NDArray imgIdx = m.create(shift(negImg, from));
                NDArray txtIdx = m.create(shift(negTxt, from));
                NDArray negImages = Shards.move(allImages, m.getDevice(), m).get(imgIdx);
                NDArray negIds = Shards.move(allIds, m.getDevice(), m).get(txtIdx);
                NDArray negMask = Shards.move(allMask, m.getDevice(), m).get(txtIdx);
                NDArray ids3 = NDArrays.concat(new NDList(x.ids(), x.ids(), negIds), 0);
                NDArray mask3 = NDArrays.concat(new NDList(x.mask(), x.mask(), negMask), 0);
                NDArray img3 = NDArrays.concat(new NDList(x.images(), negImages, x.images()), 0);
                NDArray pooled = model.poolPairs(ps(stores, i), ids3, mask3, img3, 1, true);
                logits.add(model.itmLogits(ps(stores, i), pooled, true));
            }
            // labels: per shard, per positives then 2 * per negatives
            long[] lab = new long[3 * n];
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < per; j++) {
                    lab[i * 3 * per + j] = 1;
                }
            }
            NDArray itm = Losses.crossEntropy(Shards.gather(logits, sm), sm.create(lab));
            out.put("itm", itm);
            total = total == null ? itm : total.add(itm);
        }

        // MLM in pair mode on the masked texts
        if (s.mlmProbability() > 0) {
            List<NDArray> logits = new ArrayList<>();
            List<NDArray> labels = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                Trainer.Inputs x = sh.get(i);
                ParameterStore store = ps(stores, i);
                masked(
                        model,
                        store,
                        rows ->
                                model.encodePairTextAt(
                                        store, x.mlmIds(), x.mask(), x.images(), 1, rows, true),
                        x.mlmLabels(),
                        x.mlmLabelsHost(),
                        logits,
                        labels);
            }
            NDArray mlm = Losses.crossEntropy(Shards.gather(logits, sm), Shards.gather(labels, sm));
            out.put("mlm", mlm);
            NDArray weighted = mlm.mul(Engines.scalar(mlm, (float) s.mlmWeight()));
            total = total == null ? weighted : total.add(weighted);
        }
        Map<String, NDArray> ordered = new LinkedHashMap<>();
        ordered.put("loss", total);
        ordered.putAll(out);
        return ordered;
    }

    private static Losses.Contrastive contrast(
            List<NDArray> img,
            List<NDArray> txt,
            NDArray scale,
            boolean global,
            int k,
            int per,
            NDManager sm) {
        NDArray gi = Shards.gather(img, sm);
        NDArray gt = Shards.gather(txt, sm);
        if (global || k == 1) {
            return Losses.contrastive(gi, gt, scale);
        }
        // local: each shard contrasts within itself; report a block-diagonal similarity matrix
        NDArray loss = null;
        NDArray sim = sm.zeros(new Shape((long) k * per, (long) k * per)).sub(1e4f);
        for (int i = 0; i < k; i++) {
            Losses.Contrastive c = Losses.contrastive(img.get(i), txt.get(i), scale);
            NDArray l = Shards.move(c.loss(), sm.getDevice(), sm);
            loss = loss == null ? l : loss.add(l);
            sim.set(
                    new ai.djl.ndarray.index.NDIndex(
                            "{}:{}, {}:{}", i * per, (i + 1) * per, i * per, (i + 1) * per),
                    Shards.move(c.imageToText(), sm.getDevice(), sm));
        }
        return new Losses.Contrastive(loss.div(Engines.scalar(loss, k)), sim);
    }

    private static float[] transpose(float[] a, int n) {
        float[] t = new float[a.length];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                t[j * n + i] = a[i * n + j];
            }
        }
        return t;
    }

    /** Rows [r0, r0+rows) and columns [c0, c0+cols) of an n x n row-major matrix. */
    private static float[] rows(float[] a, int n, int r0, int rows, int c0, int cols) {
        float[] out = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(a, (r0 + i) * n + c0, out, i * cols, cols);
        }
        return out;
    }

    private static long[] shift(int[] idx, int from) {
        long[] out = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = idx[i] + from;
        }
        return out;
    }
}
