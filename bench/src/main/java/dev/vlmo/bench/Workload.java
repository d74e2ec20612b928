package dev.vlmo.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One benchmarked piece of work: what runs, at which preset and batch.
 *
 * @param kind what runs
 * @param preset the model preset ({@code tiny}, {@code small}, {@code base})
 * @param batch samples per repetition (for retrieval: N images and N texts)
 */
public record Workload(Kind kind, String preset, int batch) {

    /** What a workload runs. */
    public enum Kind {
        /** Stage 1 training step: masked image modelling on normalised pixels. */
        TRAIN_MIM("train-mim", "stage 1 step (image-only MIM)"),
        /** Stage 2 training step: masked language modelling, text only. */
        TRAIN_MLM("train-mlm", "stage 2 step (text-only MLM)"),
        /** Stage 3 training step: ITC + VL-ITC + hard-negative ITM + 0.25 MLM. */
        TRAIN_VL("train-vl", "stage 3 step (ITC, VL-ITC, ITM, MLM)"),
        /** Image encoding with the vision expert (dual-encoder side), no gradients. */
        INFER_IMAGE("infer-image", "image encoding"),
        /** Text encoding with the language expert (dual-encoder side), no gradients. */
        INFER_TEXT("infer-text", "text encoding"),
        /** Fusion-encoder pair scoring (poolPairs + ITM head), no gradients. */
        INFER_PAIR("infer-pair", "pair scoring (ITM)"),
        /** Retrieval by the dual encoder: embed N images and N texts, N x N dot products. */
        RETRIEVE_DUAL("retrieve-dual", "dual encoder: N images + N texts, dot products"),
        /** Retrieval by the fusion encoder: poolPairs + ITM on all N x N pairs. */
        RETRIEVE_FUSION("retrieve-fusion", "fusion encoder: ITM on all N x N pairs"),
        /**
         * The training data loader, no model: {@value Workload#LOADER_IMAGES} JPEGs (500x375)
         * decoded, given the train transform at the preset's image size (random resized crop, flip,
         * RandAugment(2, 7), normalisation), their captions tokenised with MLM masking, and
         * collated in batches; one repetition is one pass over them.
         */
        LOAD("load", "loader: JPEG decode, train transform, tokenise, collate");

        private final String id;
        private final String label;

        Kind(String id, String label) {
            this.id = id;
            this.label = label;
        }

        /** The short name used on the command line and in the PyTorch worker's protocol. */
        public String id() {
            return id;
        }

        /** A description for the results table. */
        public String label() {
            return label;
        }

        /** Whether this is a training step (forward, backward, AdamW). */
        public boolean training() {
            return id.startsWith("train");
        }

        /** Whether this runs the model (all but the loader). */
        public boolean model() {
            return this != LOAD;
        }
    }

    /** The JPEGs one repetition of the loader workload goes through. */
    public static final int LOADER_IMAGES = 256;

    /**
     * Creates a workload and checks it.
     *
     * @throws IllegalArgumentException if the batch is not positive
     */
    public Workload {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
    }

    /**
     * A short name such as {@code train-vl/base/b4}.
     *
     * @return the name
     */
    public String name() {
        return String.format(Locale.ROOT, "%s/%s/b%d", kind.id(), preset, batch);
    }

    /**
     * The workloads of a suite: {@code quick} (tiny preset only), {@code full} (tiny, small, the
     * base preset's VL step and image encoding, and the loader at the base preset's image size),
     * {@code base} (every base workload) or a comma-separated list of names as {@link #name()}
     * prints them.
     *
     * @param suite the suite's name or a list
     * @return the workloads in the order they run
     */
    public static List<Workload> suite(String suite) {
        List<Workload> out = new ArrayList<>();
        switch (suite) {
            case "quick" -> addTiny(out);
            case "full" -> {
                addTiny(out);
                out.add(new Workload(Kind.TRAIN_MIM, "small", 4));
                out.add(new Workload(Kind.TRAIN_MLM, "small", 16));
                out.add(new Workload(Kind.TRAIN_VL, "small", 2));
                out.add(new Workload(Kind.INFER_IMAGE, "small", 8));
                out.add(new Workload(Kind.INFER_TEXT, "small", 32));
                out.add(new Workload(Kind.INFER_PAIR, "small", 4));
                out.add(new Workload(Kind.RETRIEVE_DUAL, "small", 4));
                out.add(new Workload(Kind.RETRIEVE_FUSION, "small", 4));
                out.add(new Workload(Kind.TRAIN_VL, "base", 4));
                out.add(new Workload(Kind.INFER_IMAGE, "base", 4));
                out.add(new Workload(Kind.LOAD, "base", 32));
            }
            case "base" -> {
                out.add(new Workload(Kind.TRAIN_MIM, "base", 4));
                out.add(new Workload(Kind.TRAIN_MLM, "base", 16));
                out.add(new Workload(Kind.TRAIN_VL, "base", 4));
                out.add(new Workload(Kind.INFER_IMAGE, "base", 8));
                out.add(new Workload(Kind.INFER_TEXT, "base", 32));
                out.add(new Workload(Kind.INFER_PAIR, "base", 4));
            }
            default -> {
                for (String name : suite.split(",")) {
                    out.add(parse(name.trim()));
                }
            }
        }
        return out;
    }

    private static void addTiny(List<Workload> out) {
        out.add(new Workload(Kind.TRAIN_MIM, "tiny", 64));
        out.add(new Workload(Kind.TRAIN_MLM, "tiny", 64));
        out.add(new Workload(Kind.TRAIN_VL, "tiny", 64));
        out.add(new Workload(Kind.INFER_IMAGE, "tiny", 256));
        out.add(new Workload(Kind.INFER_TEXT, "tiny", 256));
        out.add(new Workload(Kind.INFER_PAIR, "tiny", 256));
        out.add(new Workload(Kind.RETRIEVE_DUAL, "tiny", 64));
        out.add(new Workload(Kind.RETRIEVE_FUSION, "tiny", 64));
    }

    /**
     * Parses a name as {@link #name()} prints it.
     *
     * @param name such as {@code train-vl/base/b4}
     * @return the workload
     * @throws IllegalArgumentException naming the bad part
     */
    public static Workload parse(String name) {
        String[] p = name.split("/");
        if (p.length != 3 || !p[2].startsWith("b")) {
            throw new IllegalArgumentException(
                    "workload must look like train-vl/base/b4, got '" + name + "'");
        }
        for (Kind k : Kind.values()) {
            if (k.id().equals(p[0])) {
                return new Workload(k, p[1], Integer.parseInt(p[2].substring(1)));
            }
        }
        throw new IllegalArgumentException("unknown workload kind '" + p[0] + "' in " + name);
    }
}
