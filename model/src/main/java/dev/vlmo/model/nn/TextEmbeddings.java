package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.norm.Dropout;
import ai.djl.training.ParameterStore;

/**
 * BERT-style text embeddings ({@code text_embeddings} in the reference): word embedding plus the
 * row 0 of its own token type table, plus position embeddings only with absolute positions, then
 * LayerNorm (eps 1e-12) and dropout.
 *
 * <p>With relative positions the position table exists (checkpoints carry it) but is not added, as
 * in the reference.
 */
public final class TextEmbeddings extends Module {

    private final Embedding word;
    private final Embedding position;
    private final Embedding tokenType;
    private final LayerNorm norm;
    private final boolean absolute;
    private float dropout;

    /**
     * Creates the embeddings.
     *
     * @param vocab the vocabulary size
     * @param dim the width D
     * @param maxTextLen rows of the position table
     * @param absolute whether position embeddings are added
     * @param dropout the dropout rate after the LayerNorm (the reference uses the drop path rate)
     */
    public TextEmbeddings(int vocab, int dim, int maxTextLen, boolean absolute, double dropout) {
        this.absolute = absolute;
        this.dropout = (float) dropout;
        word = child("word_embeddings", new Embedding(vocab, dim));
        position = child("position_embeddings", new Embedding(maxTextLen, dim));
        tokenType = child("token_type_embeddings", new Embedding(2, dim));
        norm = child("LayerNorm", new LayerNorm(dim, 1e-12f));
    }

    /**
     * Sets the dropout rate after the LayerNorm.
     *
     * @param rate the rate, in [0, 1)
     */
    public void setDropout(double rate) {
        this.dropout = (float) rate;
    }

    /**
     * Embeds token ids.
     *
     * @param ps the parameter store
     * @param ids (B, T) token ids
     * @param training whether this is a training pass
     * @return (B, T, D)
     */
    public NDArray forward(ParameterStore ps, NDArray ids, boolean training) {
        NDArray x = word.forward(ps, ids, training);
        x = x.add(tokenType.row(ps, 0, x, training));
        if (absolute) {
            long t = ids.getShape().get(1);
            NDArray table = value(ps, position.weight(), x, training);
            x = x.add(local(table.get(new NDIndex(":{}", t)), x).expandDims(0));
        }
        x = norm.forward(ps, x, training);
        if (training && dropout > 0) {
            x = Dropout.dropout(x, dropout, true).singletonOrThrow();
        }
        return x;
    }
}
