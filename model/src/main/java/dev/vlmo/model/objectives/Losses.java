package dev.vlmo.model.objectives;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.vlmo.model.Engines;

/**
 * The pretraining and fine-tuning losses of VLMo (N rows, C classes, D width), computed in fp32 as
 * the reference does.
 */
public final class Losses {

    /** Label value that {@link #crossEntropy} ignores (PyTorch's default). */
    public static final long IGNORE = -100;

    private Losses() {}

    /**
     * Mean cross-entropy over the rows whose label is not {@link #IGNORE}.
     *
     * @param logits (N, C) scores
     * @param labels (N) class indices or {@code -100}
     * @return a scalar; 0 when every label is ignored
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray lp = logits.toType(DataType.FLOAT32, false).logSoftmax(-1);
        long classes = lp.getShape().get(lp.getShape().dimension() - 1);
        NDArray lab = labels.toType(DataType.INT64, false);
        NDArray keep = lab.neq(IGNORE).toType(DataType.FLOAT32, false);
        NDArray safe = lab.mul(keep.toType(DataType.INT64, false));
        NDArray picked = pick(lp, safe, (int) classes);
        NDArray count = keep.sum().maximum(1f);
        return picked.mul(keep).sum().neg().div(count);
    }

    /**
     * Each row's entry at its label: a gather where the engine has one (no (N, C) one-hot, which at
     * the MLM head is N x 30522), else the one-hot product (MXNet).
     */
    private static NDArray pick(NDArray lp, NDArray labels, int classes) {
        try {
            return lp.gather(labels.expandDims(-1), -1).squeeze(-1);
        } catch (UnsupportedOperationException e) {
            return lp.mul(labels.oneHot(classes)).sum(new int[] {-1});
        }
    }

    /**
     * The symmetric image-text contrastive loss: {@code exp(logScale) * I T^T}, cross-entropy of
     * each image against all texts and each text against all images, averaged.
     *
     * @param image (N, D) L2-normalised image embeddings, row i matching text row i
     * @param text (N, D) L2-normalised text embeddings
     * @param logScale the learnable log temperature (scalar)
     * @return the loss and the image-to-text logits (N, N)
     */
    public static Contrastive contrastive(NDArray image, NDArray text, NDArray logScale) {
        NDArray scale = logScale.exp();
        NDArray i2t = image.matMul(text.transpose()).mul(scale); // (N, N)
        NDArray t2i = i2t.transpose();
        NDManager m = image.getManager();
        NDArray truth = m.arange(0, (int) image.getShape().get(0), 1, DataType.INT64);
        NDArray sum = crossEntropy(i2t, truth).add(crossEntropy(t2i, truth));
        NDArray loss = sum.div(Engines.scalar(sum, 2f));
        return new Contrastive(loss, i2t);
    }

    /**
     * The result of a contrastive loss.
     *
     * @param loss the scalar loss
     * @param imageToText (N, N) scaled similarities, row i = image i against every text
     */
    public record Contrastive(NDArray loss, NDArray imageToText) {}

    /**
     * Mean squared error over the masked rows (masked image modelling on pixel targets).
     *
     * @param predicted (B, P, K) predictions per patch
     * @param target (B, P, K) targets per patch
     * @param mask (B, P) with 1 where a patch was masked
     * @return a scalar
     */
    public static NDArray maskedMse(NDArray predicted, NDArray target, NDArray mask) {
        NDArray m = mask.toType(DataType.FLOAT32, false);
        NDArray err = predicted.sub(target).square().mean(new int[] {-1}); // (B, P)
        return err.mul(m).sum().div(m.sum().maximum(1f));
    }

    /**
     * Binary cross-entropy with soft targets, summed over classes and averaged over rows, times the
     * number of classes as the reference's VQA loss does ({@code bce(mean) * C}).
     *
     * @param logits (N, C)
     * @param targets (N, C) soft scores in [0, 1]
     * @return a scalar
     */
    public static NDArray softBinaryCrossEntropy(NDArray logits, NDArray targets) {
        NDArray x = logits.toType(DataType.FLOAT32, false);
        // log(1 + exp(-|x|)) + max(x, 0) - x * y, the numerically stable form
        NDArray loss =
                x.abs().neg().exp().add(1f).log().add(Activation.relu(x)).sub(x.mul(targets));
        long c = x.getShape().get(1);
        NDArray mean = loss.mean();
        return mean.mul(Engines.scalar(mean, c));
    }
}
