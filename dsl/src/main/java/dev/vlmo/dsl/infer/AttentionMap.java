package dev.vlmo.dsl.infer;

import java.util.List;
import java.util.Objects;

/**
 * The self-attention of one image-text pair in the fusion encoder, every layer and head, over the
 * pair's real tokens: the text's tokens (padding left out), then the image's [CLS] and its patches
 * row by row. Weights are attention probabilities: row q holds how token q attends to every key,
 * summing to 1 (padded keys receive none, so nothing is lost by leaving them out).
 *
 * <p>Get one from {@link Predictor#attention}; chart it in a notebook with {@code
 * Charts.attention(map, layer)} or draw {@link #imageGrid} over the image.
 */
public final class AttentionMap {

    private final List<String> tokens;
    private final int textTokens;
    private final int grid;
    private final float[][][][] weights;

    /**
     * Wraps recorded attention.
     *
     * @param tokens the token labels, text tokens first, then the image's [CLS] and patches
     * @param textTokens how many of the tokens are text
     * @param grid the side of the patch grid
     * @param weights [layer][head][query][key] over the tokens
     */
    AttentionMap(List<String> tokens, int textTokens, int grid, float[][][][] weights) {
        this.tokens = List.copyOf(tokens);
        this.textTokens = textTokens;
        this.grid = grid;
        this.weights = Objects.requireNonNull(weights, "weights");
        int n = tokens.size();
        if (n != textTokens + 1 + grid * grid) {
            throw new IllegalArgumentException(
                    n
                            + " tokens for "
                            + textTokens
                            + " text tokens and a "
                            + grid
                            + "x"
                            + grid
                            + " grid");
        }
    }

    /**
     * Returns the number of layers.
     *
     * @return L
     */
    public int layers() {
        return weights.length;
    }

    /**
     * Returns the number of heads per layer.
     *
     * @return H
     */
    public int heads() {
        return weights[0].length;
    }

    /**
     * Returns the token labels: the text's word pieces, then {@code [IMG]} for the image's [CLS]
     * and {@code r<row>c<column>} for each patch.
     *
     * @return the labels, in the order of the matrices' rows and columns
     */
    public List<String> tokens() {
        return tokens;
    }

    /**
     * Returns how many of the tokens are the text's.
     *
     * @return the number of real text tokens, [CLS] and [SEP] included
     */
    public int textTokens() {
        return textTokens;
    }

    /**
     * Returns the side of the image's patch grid.
     *
     * @return image size / patch size
     */
    public int gridSize() {
        return grid;
    }

    /**
     * Returns one head's attention in one layer.
     *
     * @param layer 0 for the bottom layer
     * @param head the head
     * @return (tokens, tokens), query rows, key columns; a copy
     */
    public float[][] weights(int layer, int head) {
        checkLayer(layer);
        if (head < 0 || head >= heads()) {
            throw new IndexOutOfBoundsException(
                    "head " + head + " out of [0, " + heads() + ") for this model");
        }
        float[][] w = weights[layer][head];
        float[][] out = new float[w.length][];
        for (int q = 0; q < w.length; q++) {
            out[q] = w[q].clone();
        }
        return out;
    }

    /**
     * Returns a layer's attention averaged over its heads.
     *
     * @param layer 0 for the bottom layer
     * @return (tokens, tokens), query rows, key columns
     */
    public float[][] weights(int layer) {
        checkLayer(layer);
        int n = tokens.size();
        float[][] out = new float[n][n];
        for (float[][] head : weights[layer]) {
            for (int q = 0; q < n; q++) {
                for (int k = 0; k < n; k++) {
                    out[q][k] += head[q][k] / heads();
                }
            }
        }
        return out;
    }

    /**
     * Returns how each text token attends to the image's patches in a layer (mean over heads): the
     * cross-modal block of {@link #weights(int)}, the image's [CLS] left out.
     *
     * @param layer 0 for the bottom layer
     * @return (text tokens, patches)
     */
    public float[][] textToImage(int layer) {
        float[][] all = weights(layer);
        int patches = grid * grid;
        float[][] out = new float[textTokens][patches];
        for (int q = 0; q < textTokens; q++) {
            System.arraycopy(all[q], textTokens + 1, out[q], 0, patches);
        }
        return out;
    }

    /**
     * Returns a text token's attention to the image's patches laid out as the image (mean over
     * heads): row 0 is the top row of patches.
     *
     * @param layer 0 for the bottom layer
     * @param textToken the token's index among the text tokens (0 is [CLS])
     * @return (grid, grid)
     */
    public float[][] imageGrid(int layer, int textToken) {
        if (textToken < 0 || textToken >= textTokens) {
            throw new IndexOutOfBoundsException(
                    "text token "
                            + textToken
                            + " out of [0, "
                            + textTokens
                            + "): the text is "
                            + tokens.subList(0, textTokens));
        }
        float[] row = textToImage(layer)[textToken];
        float[][] out = new float[grid][grid];
        for (int r = 0; r < grid; r++) {
            System.arraycopy(row, r * grid, out[r], 0, grid);
        }
        return out;
    }

    /**
     * Returns the first occurrence of a word piece's attention to the patches, as {@link
     * #imageGrid(int, int)}.
     *
     * @param layer 0 for the bottom layer
     * @param token a word piece of the text, as in {@link #tokens()}
     * @return (grid, grid)
     * @throws IllegalArgumentException if the text has no such token
     */
    public float[][] imageGrid(int layer, String token) {
        int i = tokens.subList(0, textTokens).indexOf(token);
        if (i < 0) {
            throw new IllegalArgumentException(
                    "no token '" + token + "' in the text " + tokens.subList(0, textTokens));
        }
        return imageGrid(layer, i);
    }

    private void checkLayer(int layer) {
        if (layer < 0 || layer >= layers()) {
            throw new IndexOutOfBoundsException(
                    "layer " + layer + " out of [0, " + layers() + ") for this model");
        }
    }

    @Override
    public String toString() {
        return "AttentionMap["
                + layers()
                + " layers x "
                + heads()
                + " heads over "
                + tokens.size()
                + " tokens: "
                + textTokens
                + " text, [IMG] and "
                + grid * grid
                + " patches]";
    }
}
