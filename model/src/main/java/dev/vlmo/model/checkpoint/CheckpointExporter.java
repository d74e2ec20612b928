package dev.vlmo.model.checkpoint;

import ai.djl.nn.Parameter;
import dev.vlmo.model.RelativePositionIndex;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes a {@link VlmoModel}'s weights as a PyTorch state dict with the reference's key names, so
 * that {@code torch.load} plus {@code load_state_dict} on the reference model reads them.
 *
 * <p>Besides the parameters (float32, in the reference's key order) the file holds the buffers the
 * reference's state dict has: {@code text_embeddings.position_ids} and, with relative positions,
 * the three relative position index tensors ({@code text_imag_relative_position_index} as float32,
 * as the reference's type promotion makes it). Reading the file back with {@link
 * CheckpointImporter} restores every parameter bit for bit.
 */
public final class CheckpointExporter {

    private CheckpointExporter() {}

    /**
     * Returns the model's state dict as the reference would save it.
     *
     * @param model an initialised model
     * @return key to tensor in the reference's order
     * @throws IllegalStateException if the model is not initialised
     */
    public static Map<String, TensorData> stateDict(VlmoModel model) {
        if (!model.isInitialized()) {
            throw new IllegalStateException(
                    "the model has no weights yet: initialise it or load a checkpoint first");
        }
        VlmoConfig c = model.config();
        Map<String, TensorData> out = new LinkedHashMap<>();
        boolean indicesDone = false;
        boolean positionIdsDone = false;
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            String key = e.getKey();
            // PyTorch lists a module's own parameters, then its buffers, then its children.
            if (!indicesDone && key.contains(".")) {
                if (c.relativePositions()) {
                    putIndices(out, model.relativePositionLayout(), c.maxTextLen());
                }
                indicesDone = true;
            }
            if (!positionIdsDone && key.startsWith("text_embeddings.")) {
                putPositionIds(out, c.maxTextLen());
                positionIdsDone = true;
            }
            var array = e.getValue().getArray();
            out.put(key, TensorData.ofFloats(array.getShape().getShape(), array.toFloatArray()));
        }
        return out;
    }

    /**
     * Writes the model's state dict to a {@code .pt} file.
     *
     * @param model an initialised model
     * @param file the file to create or replace
     * @throws IOException if the file cannot be written
     */
    public static void write(VlmoModel model, Path file) throws IOException {
        TorchCheckpoint.write(file, stateDict(model));
    }

    private static void putIndices(
            Map<String, TensorData> out, RelativePositionIndex layout, int textLen) {
        out.put("relative_position_index", longs(layout.imageOnly()));
        out.put("text_relative_position_index", longs(layout.textOnly(textLen)));
        long[][] pair = layout.pair(textLen);
        int n = pair.length;
        float[] v = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                v[i * n + j] = pair[i][j];
            }
        }
        out.put("text_imag_relative_position_index", TensorData.ofFloats(new long[] {n, n}, v));
    }

    private static void putPositionIds(Map<String, TensorData> out, int textLen) {
        long[] ids = new long[textLen];
        for (int i = 0; i < textLen; i++) {
            ids[i] = i;
        }
        out.put(
                "text_embeddings.position_ids",
                TensorData.ofLongs(DType.INT64, new long[] {1, textLen}, ids));
    }

    private static TensorData longs(long[][] m) {
        int n = m.length;
        long[] v = new long[n * n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], 0, v, i * n, n);
        }
        return TensorData.ofLongs(DType.INT64, new long[] {n, n}, v);
    }
}
