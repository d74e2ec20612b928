package dev.vlmo.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Models and inputs built from the reference fixtures (vlmo_X.json, vlmo_X.pt, *_io.pt). */
final class ModelFixtures {

    private ModelFixtures() {}

    /**
     * The fixture's configuration as a VlmoConfig at the given image size, with the NLVR2 head (the
     * fixtures' runs use three token types).
     */
    static VlmoConfig config(String name, int imageSize) throws IOException {
        JsonObject c = Fixtures.json(name + ".json").getAsJsonObject("config");
        int layers = c.get("layers").getAsInt();
        JsonElement ls = c.get("layer_scale");
        return new VlmoConfig(
                name,
                c.get("hidden").getAsInt(),
                layers,
                c.get("heads").getAsInt(),
                c.get("mlp_ratio").getAsDouble(),
                c.get("patch").getAsInt(),
                imageSize,
                c.get("max_text_len").getAsInt(),
                c.get("max_text_len_of_initckpt").getAsInt(),
                layers - c.get("vl_start").getAsInt(),
                0.0,
                ls == null || ls.isJsonNull() ? 0.0 : ls.getAsDouble(),
                c.get("relative_position").getAsBoolean()
                        ? VlmoConfig.Positions.RELATIVE
                        : VlmoConfig.Positions.ABSOLUTE,
                c.get("vocab_size").getAsInt(),
                c.get("vqa_labels").getAsInt(),
                true,
                0,
                0.02,
                false);
    }

    /** The fixture's configuration at the checkpoint's own image size. */
    static VlmoConfig config(String name) throws IOException {
        return config(
                name,
                Fixtures.json(name + ".json")
                        .getAsJsonObject("config")
                        .get("image_size")
                        .getAsInt());
    }

    /** A fixture model loaded strictly from its checkpoint. */
    static VlmoModel loaded(NDManager m, String name, int imageSize) throws IOException {
        VlmoModel model = new VlmoModel(config(name, imageSize));
        CheckpointImporter.load(
                model, m, Fixtures.file(name + ".pt"), CheckpointImporter.Options.STRICT);
        return model;
    }

    /** An array of a tensor of an io file: floats as float32, integers as int64. */
    static NDArray array(NDManager m, TensorData t) {
        Shape s = new Shape(t.shape());
        return t.isFloating() ? m.create(t.floats(), s) : m.create(t.longs(), s);
    }

    /** Model input from uint8 pixels: (pixels - 128) / 128. */
    static NDArray images(NDManager m, TensorData pixels) {
        long[] p = pixels.longs();
        float[] v = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            v[i] = (p[i] - 128f) / 128f;
        }
        return m.create(v, new Shape(pixels.shape()));
    }

    /** A copy of every parameter's values, by reference key. */
    static Map<String, float[]> snapshot(VlmoModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().toFloatArray());
        }
        return out;
    }

    /** Asserts that every parameter holds exactly the values of the snapshot. */
    static void assertUnchanged(Map<String, float[]> before, VlmoModel model) {
        Map<String, float[]> now = snapshot(model);
        assertEquals(before.keySet(), now.keySet());
        for (Map.Entry<String, float[]> e : before.entrySet()) {
            assertArrayEquals(e.getValue(), now.get(e.getKey()), e.getKey() + " changed");
        }
    }

    /** The largest absolute difference between an array and an expected tensor of equal shape. */
    static float maxAbsDiff(NDArray actual, TensorData expected) {
        assertArrayEquals(expected.shape(), actual.getShape().getShape(), "shape");
        float[] a = actual.toFloatArray();
        float[] e = expected.floats();
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            float d = Math.abs(a[i] - e[i]);
            if (!(d <= max)) {
                max = d; // NaN propagates
            }
        }
        return max;
    }
}
