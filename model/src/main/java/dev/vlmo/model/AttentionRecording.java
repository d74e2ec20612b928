package dev.vlmo.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.vlmo.model.nn.Attention;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Records the attention probabilities of a model's passes while it is open ({@link
 * VlmoModel#recordAttention}): each block's (B, H, N, N) softmax output, copied in fp32 into the
 * recording's manager, in the order the blocks ran. An {@link VlmoModel#encodePair} or {@link
 * VlmoModel#encodeImage} without the VL path records one map per layer, layer 0 first; a pass with
 * the VL path also records the top layers a second time. Closing the recording stops it; the maps
 * live until their manager closes.
 *
 * <pre>{@code
 * try (AttentionRecording rec = model.recordAttention(manager)) {
 *     model.encodePair(ps, ids, mask, images, 1, false);
 *     NDArray lastLayer = rec.maps().get(rec.maps().size() - 1).probabilities(); // (B, H, N, N)
 * }
 * }</pre>
 *
 * <p>One recording at a time per model; it is meant for inference passes (it copies every map).
 */
public final class AttentionRecording implements AutoCloseable {

    /**
     * One block's attention in one pass.
     *
     * @param layer the block's index, 0 at the bottom
     * @param probabilities (B, H, N, N) in fp32: query rows, key columns, each row summing to 1
     */
    public record LayerMap(int layer, NDArray probabilities) {}

    private final List<Attention> attentions;
    private final List<LayerMap> maps = new ArrayList<>();

    AttentionRecording(List<Attention> attentions, NDManager manager) {
        Objects.requireNonNull(manager, "manager");
        this.attentions = List.copyOf(attentions);
        for (Attention a : this.attentions) {
            if (a.hasProbe()) {
                throw new IllegalStateException(
                        "this model is already recording attention: close the other recording"
                                + " first");
            }
        }
        for (int i = 0; i < this.attentions.size(); i++) {
            int layer = i;
            this.attentions
                    .get(i)
                    .setProbe(
                            attn -> {
                                NDArray copy = attn.duplicate();
                                copy.attach(manager);
                                synchronized (maps) {
                                    maps.add(new LayerMap(layer, copy));
                                }
                            });
        }
    }

    /**
     * Returns the maps recorded so far, in the order the blocks ran.
     *
     * @return an unmodifiable copy
     */
    public List<LayerMap> maps() {
        synchronized (maps) {
            return List.copyOf(maps);
        }
    }

    /** Stops recording; the recorded maps stay readable until their manager closes. */
    @Override
    public void close() {
        for (Attention a : attentions) {
            a.setProbe(null);
        }
    }
}
