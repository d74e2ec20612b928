package dev.vlmo.dsl.infer;

import dev.vlmo.datasets.ImageRef;
import java.util.ArrayList;
import java.util.List;

/**
 * Embeddings of images or of texts kept for retrieval with the dual encoder: a query from the other
 * modality is embedded and compared by dot product with every entry (exact search, as the reference
 * evaluates). Immutable.
 */
public final class Index {

    /** What an index holds. */
    public enum Kind {
        /** Image embeddings, searched by text. */
        IMAGES,
        /** Text embeddings, searched by image. */
        TEXTS
    }

    private final Predictor predictor;
    private final Kind kind;
    private final List<String> names;
    private final float[][] vectors;

    Index(Predictor predictor, Kind kind, List<String> names, float[][] vectors) {
        this.predictor = predictor;
        this.kind = kind;
        this.names = List.copyOf(names);
        this.vectors = vectors;
    }

    /**
     * Returns the number of entries.
     *
     * @return entries
     */
    public int size() {
        return names.size();
    }

    /**
     * Returns what the index holds.
     *
     * @return images or texts
     */
    public Kind kind() {
        return kind;
    }

    /**
     * A search result.
     *
     * @param index the entry's position in the indexed list
     * @param name the image's name or the text
     * @param score the dot product of the normalised embeddings (cosine similarity)
     */
    public record Hit(int index, String name, double score) {}

    /**
     * Finds the images best described by a text.
     *
     * @param text the query
     * @param k how many results, positive
     * @return up to {@code k} hits, best first (ties keep index order)
     */
    public List<Hit> search(String text, int k) {
        requireKind(Kind.IMAGES, "search(text)", "indexImages");
        return top(predictor.embedTexts(List.of(text))[0], k);
    }

    /**
     * Finds the texts that best describe an image.
     *
     * @param image the query
     * @param k how many results, positive
     * @return up to {@code k} hits, best first (ties keep index order)
     */
    public List<Hit> search(ImageRef image, int k) {
        requireKind(Kind.TEXTS, "search(image)", "indexTexts");
        return top(predictor.embedImages(List.of(image))[0], k);
    }

    /**
     * Ranks the entries against an embedded query.
     *
     * @param query an embedding of the other modality
     * @param k how many results, positive
     * @return up to {@code k} hits, best first (ties keep index order)
     */
    public List<Hit> top(float[] query, int k) {
        if (k <= 0) {
            throw new IllegalArgumentException("k must be positive, got " + k);
        }
        if (names.isEmpty()) {
            throw new IllegalStateException(
                    "the index is empty: build it from at least one "
                            + (kind == Kind.IMAGES ? "image" : "text"));
        }
        if (query.length != vectors[0].length) {
            throw new IllegalArgumentException(
                    "query has " + query.length + " dimensions, the index " + vectors[0].length);
        }
        double[] s = new double[vectors.length];
        for (int i = 0; i < vectors.length; i++) {
            double dot = 0;
            for (int j = 0; j < query.length; j++) {
                dot += query[j] * vectors[i][j];
            }
            s[i] = dot;
        }
        Integer[] order = new Integer[s.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> Double.compare(s[b], s[a]));
        List<Hit> out = new ArrayList<>();
        for (int i = 0; i < Math.min(k, order.length); i++) {
            out.add(new Hit(order[i], names.get(order[i]), s[order[i]]));
        }
        return out;
    }

    private void requireKind(Kind want, String call, String build) {
        if (kind != want) {
            throw new IllegalStateException(
                    call
                            + " needs an index of "
                            + want.name().toLowerCase()
                            + "; build it with "
                            + build
                            + "(...)");
        }
    }

    @Override
    public String toString() {
        return "Index(" + names.size() + " " + kind.name().toLowerCase() + ")";
    }
}
