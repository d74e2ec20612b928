package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import dev.vlmo.model.VlmoConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The backbone ({@code transformer} in the reference): patch embedding, image [CLS], optional
 * absolute position embedding, the Multiway blocks and the final LayerNorm ({@code norm}).
 */
public final class MultiwayTransformer extends Module {

    private final Parameter clsToken;
    private final PatchEmbed patchEmbed;
    private final Parameter posEmbed;
    private final ModuleList<MultiwayBlock> blocks;
    private final LayerNorm norm;
    private final int dim;

    /**
     * Creates the backbone of a configuration.
     *
     * @param c the configuration
     */
    public MultiwayTransformer(VlmoConfig c) {
        this.dim = c.hidden();
        clsToken =
                param(
                        "cls_token",
                        Parameter.Type.WEIGHT,
                        new Shape(1, 1, dim),
                        new NormalInitializer(0.02f));
        patchEmbed = child("patch_embed", new PatchEmbed(c.patchSize(), dim));
        posEmbed =
                c.relativePositions()
                        ? null
                        : param(
                                "pos_embed",
                                Parameter.Type.WEIGHT,
                                new Shape(1, c.imageTokens(), dim),
                                new NormalInitializer(0.02f));
        List<MultiwayBlock> list = new ArrayList<>();
        for (int i = 0; i < c.layers(); i++) {
            double dpr = c.layers() == 1 ? 0 : c.dropPath() * i / (c.layers() - 1);
            list.add(
                    new MultiwayBlock(
                            dim,
                            c.heads(),
                            c.mlpHidden(),
                            i >= c.vlStart(),
                            c.layerScale(),
                            dpr,
                            c.sharedFfn()));
        }
        blocks = child("blocks", new ModuleList<>(list));
        norm = child("norm", new LayerNorm(dim, 1e-6f));
    }

    /**
     * Embeds images: patches, [CLS] first, plus absolute positions if configured.
     *
     * @param ps the parameter store
     * @param images (B, 3, S, S)
     * @param maskToken a (1, 1, D) token that replaces masked patches, or null
     * @param patchMask (B, P) with 1 where a patch is masked, or null
     * @param training whether this is a training pass
     * @return (B, P+1, D)
     */
    public NDArray visualEmbed(
            ParameterStore ps,
            NDArray images,
            NDArray maskToken,
            NDArray patchMask,
            boolean training) {
        NDArray x = patchEmbed.forward(ps, images, training); // (B, P, D)
        long b = x.getShape().get(0);
        if (patchMask != null) {
            NDArray m = patchMask.toType(x.getDataType(), false).expandDims(2); // (B, P, 1)
            x = x.mul(m.neg().add(1)).add(m.mul(maskToken));
        }
        NDArray cls = local(value(ps, clsToken, x, training).broadcast(new Shape(b, 1, dim)), x);
        x = NDArrays.concat(new NDList(cls, x), 1);
        if (posEmbed != null) {
            x = x.add(value(ps, posEmbed, x, training));
        }
        return x;
    }

    /**
     * Returns block i.
     *
     * @param i the layer index
     * @return the block
     */
    public MultiwayBlock block(int i) {
        return blocks.get(i);
    }

    /**
     * Returns the number of blocks.
     *
     * @return L
     */
    public int depth() {
        return blocks.size();
    }

    /**
     * Applies the final LayerNorm.
     *
     * @param ps the parameter store
     * @param x (B, N, D)
     * @param training whether this is a training pass
     * @return (B, N, D)
     */
    public NDArray norm(ParameterStore ps, NDArray x, boolean training) {
        return norm.forward(ps, x, training);
    }
}
