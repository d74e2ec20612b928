package dev.vlmo.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.objectives.Losses;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The backward pass must not read memory the Java side has released. DJL's PyTorch arithmetic with
 * a Java number ({@code x.mul(0.5f)}) keeps a tensor over a Java buffer that it frees at once; if
 * autograd saved that tensor, a garbage collection between forward and backward turns the gradient
 * into whatever reuses the memory. Here every forward pass of the model and its losses is followed
 * by a collection and by fresh direct buffers full of NaN before the backward pass, and the
 * gradients must equal those of an undisturbed pass.
 */
class GradientsIgnoreGarbageCollectionTest {

    static final VlmoConfig C = VlmoConfig.tiny().withVqaLabels(5).withMimTargets(8 * 8 * 3);

    /** Collects garbage, lets the cleaner free what it found, and fills the freed memory. */
    static List<ByteBuffer> churn() throws InterruptedException {
        System.gc();
        Thread.sleep(20);
        List<ByteBuffer> filler = new ArrayList<>();
        for (int i = 0; i < 4000; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(8);
            b.putFloat(0, Float.NaN).putFloat(4, Float.NaN);
            filler.add(b);
        }
        return filler;
    }

    /** Fixed inputs for every objective of the tiny model (3 rows, texts of 5, 12 and 9 tokens). */
    record Inputs(
            NDArray images,
            NDArray ids,
            NDArray mask,
            NDArray patchMask,
            NDArray pixels,
            NDArray vqaTargets,
            NDArray labels) {

        static Inputs make(NDManager m) {
            int b = 3;
            int t = 12;
            int[] len = {5, t, 9};
            int patches = C.gridSize() * C.gridSize();
            float[] pm = new float[b * patches];
            for (int i = 0; i < pm.length; i += 3) {
                pm[i] = 1f;
            }
            return new Inputs(
                    TestSupport.images(m, C, b),
                    TestSupport.ids(m, C, len, t, 3),
                    TestSupport.mask(m, len, t),
                    m.create(pm, new Shape(b, patches)),
                    m.randomNormal(0f, 1f, new Shape(b, patches, 8 * 8 * 3), DataType.FLOAT32),
                    m.randomUniform(0f, 1f, new Shape(b, 5), DataType.FLOAT32),
                    m.create(new long[] {1, 0, 1}));
        }
    }

    /** The sum of every objective's loss: ITC, VL-ITC, ITM, VQA and MIM. */
    static NDArray allObjectives(VlmoModel model, ParameterStore ps, Inputs in) {
        ImageEncoding ie = model.encodeImage(ps, in.images(), true, true);
        TextEncoding te = model.encodeText(ps, in.ids(), in.mask(), true, true);
        NDArray loss =
                Losses.contrastive(ie.itc(), te.itc(), model.logitScale(ps, ie.itc(), false, true))
                        .loss()
                        .add(
                                Losses.contrastive(
                                                ie.vlItc(),
                                                te.vlItc(),
                                                model.logitScale(ps, ie.itc(), true, true))
                                        .loss());
        PairEncoding pe = model.encodePair(ps, in.ids(), in.mask(), in.images(), 1, true);
        loss = loss.add(Losses.crossEntropy(model.itmLogits(ps, pe.pooled(), true), in.labels()));
        loss =
                loss.add(
                        Losses.softBinaryCrossEntropy(
                                model.vqaLogits(ps, pe.pooled(), true), in.vqaTargets()));
        ImageEncoding masked = model.encodeImage(ps, in.images(), in.patchMask(), false, true);
        return loss.add(
                Losses.maskedMse(
                        model.mimLogits(ps, masked.hidden(), true), in.pixels(), in.patchMask()));
    }

    /** The gradients of every objective's loss (summed) for fixed inputs. */
    static Map<String, float[]> gradients(boolean disturb) throws InterruptedException {
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = TestSupport.tinyModel(m, C, 7);
            model.setDropPath(0);
            for (Parameter p : model.namedParameters().values()) {
                p.getArray().setRequiresGradient(true);
            }
            Inputs in = Inputs.make(m);
            List<ByteBuffer> filler = null;
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                NDArray loss = allObjectives(model, new ParameterStore(m, false), in);
                if (disturb) {
                    filler = churn();
                }
                gc.backward(loss);
            }
            assertTrue(filler == null || filler.size() == 4000);
            Map<String, float[]> out = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
                out.put(e.getKey(), e.getValue().getArray().getGradient().toFloatArray());
            }
            return out;
        }
    }

    @Test
    void aCollectionBetweenForwardAndBackwardChangesNoGradient() throws Exception {
        Map<String, float[]> quiet = gradients(false);
        Map<String, float[]> disturbed = gradients(true);
        assertEquals(quiet.keySet(), disturbed.keySet());
        int nonZero = 0;
        for (String name : quiet.keySet()) {
            float[] a = quiet.get(name);
            float[] b = disturbed.get(name);
            for (int i = 0; i < a.length; i++) {
                assertTrue(Float.isFinite(b[i]), name + "[" + i + "] is " + b[i]);
                assertEquals(a[i], b[i], 1e-5f + 1e-4f * Math.abs(a[i]), name + "[" + i + "]");
                if (a[i] != 0f) {
                    nonZero++;
                }
            }
        }
        assertTrue(nonZero > 1000, "the losses reach the parameters: " + nonZero);
    }
}
