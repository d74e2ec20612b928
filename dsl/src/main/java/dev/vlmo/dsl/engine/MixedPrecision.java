package dev.vlmo.dsl.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.vlmo.dsl.Precision;
import dev.vlmo.model.Engines;
import dev.vlmo.model.nn.Autocast;
import java.util.Locale;
import java.util.Properties;

/**
 * A training loop's precision: the autocast scope its forward passes run in and, for FP16, the
 * dynamic loss scale of {@code torch.cuda.amp.GradScaler} with its defaults (start at 2^16, halve
 * and skip the update when a gradient overflows, double after 2000 updates in a row without one),
 * never below 1. BF16 has fp32's range and needs no scaling; FP32 does nothing.
 *
 * <p>The scale and its count of good steps are part of a checkpoint ({@link #save}, {@link #load}),
 * so a resumed run scales as the uninterrupted one does.
 */
final class MixedPrecision {

    static final double INITIAL_SCALE = 65536.0;
    static final int GROWTH_INTERVAL = 2000;

    private final Precision precision;
    private double scale;
    private int goodSteps;

    MixedPrecision(Precision precision) {
        this.precision = precision;
        this.scale = precision == Precision.FP16 ? INITIAL_SCALE : 1.0;
    }

    /**
     * Opens the scope a forward pass runs in.
     *
     * @param step the step's manager, which outlives the backward pass
     * @return the scope, or null for FP32 (try-with-resources accepts null)
     */
    Autocast open(NDManager step) {
        return switch (precision) {
            case FP32 -> null;
            case FP16 -> Autocast.enable(step, DataType.FLOAT16);
            case BF16 -> Autocast.enable(step, DataType.BFLOAT16);
        };
    }

    /**
     * Returns the factor the loss is multiplied by before the backward pass; gradients carry it and
     * the optimizer's update divides it out.
     *
     * @return the loss scale (1 unless FP16)
     */
    double scale() {
        return scale;
    }

    /**
     * The loss the backward pass starts from: divided by the micro-batches it is accumulated over
     * and multiplied by the loss scale (as one division, exact for the power-of-two scale).
     *
     * @param loss a micro-batch's loss
     * @param accum the number of micro-batches of the step
     * @return {@code loss * scale / accum}; {@code loss} itself when both are 1
     */
    NDArray backwardLoss(NDArray loss, int accum) {
        if (accum == 1 && scale == 1) {
            return loss;
        }
        return loss.div(Engines.scalar(loss, (float) (accum / scale)));
    }

    /**
     * Records a step's outcome: halves the scale after an overflow (the update was skipped),
     * doubles it after {@link #GROWTH_INTERVAL} updates in a row.
     *
     * @param finite whether the step's gradients were finite
     * @return a message when the scale changed after an overflow, else null
     */
    String after(boolean finite) {
        if (precision != Precision.FP16) {
            return null;
        }
        if (!finite) {
            goodSteps = 0;
            if (scale <= 1) {
                // below 1 the scale would only shrink gradients; something else is not finite
                return "fp16 gradients overflow at loss scale 1: the loss or the weights are not"
                        + " finite; lower the learningRate, clip gradients or use BF16";
            }
            scale /= 2;
            return String.format(Locale.ROOT, "fp16 loss scale lowered to %.0f", scale);
        }
        if (++goodSteps == GROWTH_INTERVAL) {
            scale *= 2;
            goodSteps = 0;
        }
        return null;
    }

    /** Writes the precision and, for FP16, the scale into a checkpoint's state. */
    void save(Properties p) {
        p.setProperty("precision", precision.name());
        if (precision == Precision.FP16) {
            p.setProperty("lossScale", Double.toString(scale));
            p.setProperty("lossScaleGoodSteps", Integer.toString(goodSteps));
        }
    }

    /**
     * Takes the scale up from a checkpoint's state. A checkpoint of another precision (an FP32 or
     * BF16 run resumed as FP16) or without a scale leaves the start value.
     */
    void load(Properties p) {
        String s = p.getProperty("lossScale");
        if (s != null
                && precision == Precision.FP16
                && Precision.FP16.name().equals(p.getProperty("precision"))) {
            scale = Double.parseDouble(s);
            goodSteps = Integer.parseInt(p.getProperty("lossScaleGoodSteps", "0"));
        }
    }

    int goodSteps() {
        return goodSteps;
    }
}
