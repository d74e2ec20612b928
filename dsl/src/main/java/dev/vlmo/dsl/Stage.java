package dev.vlmo.dsl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One stage of stagewise pretraining: what it trains, on which data, for how long and with which
 * objectives. Immutable: every method returns a new stage, and checks its argument where it is
 * given. Create stages with {@link Dsl#vision()}, {@link Dsl#text()} and {@link
 * Dsl#visionLanguage()}, whose defaults are the reference's.
 */
public final class Stage {

    /** The three kinds of pretraining stage of VLMo. */
    public enum Kind {
        /** Stage 1: masked image modelling on images; attention and the vision expert learn. */
        VISION,
        /** Stage 2: masked language modelling on texts; the language expert learns. */
        TEXT,
        /** Stage 3: contrastive, matching and masked language modelling on image-text pairs. */
        VISION_LANGUAGE;

        /**
         * Returns the name used in descriptions.
         *
         * @return the DSL name
         */
        public String dslName() {
            return switch (this) {
                case VISION -> "vision";
                case TEXT -> "text";
                case VISION_LANGUAGE -> "visionLanguage";
            };
        }
    }

    private final Kind kind;
    private final List<DataRef> data;
    private final int steps;
    private final int epochs;
    private final int batchSize;
    private final double learningRate;
    private final double warmup;
    private final Schedule schedule;
    private final double weightDecay;
    private final double dropPath;
    private final int gradientAccumulation;
    private final double gradientClipping;

    /** Checkpoints from within a stage that are kept unless told otherwise. */
    static final int DEFAULT_KEEP_CHECKPOINTS = 2;

    /** The share of patches stage 1 masks unless told otherwise (BEiT's 40%). */
    static final double DEFAULT_MIM_MASK_RATIO = 0.4;

    private final int checkpointEvery;
    private final int keepCheckpoints;
    private final long seed;
    private final double beta1;
    private final double beta2;
    private final int textLength;
    private final boolean itc;
    private final boolean vlItc;
    private final ItmNegatives itm;
    private final boolean globalNegatives;
    private final boolean excludeSameImage;
    private final double mlmProbability;
    private final double mlmWeight;
    private final boolean wholeWordMasking;
    private final MimTarget mimTarget;
    private final double mimMaskRatio;
    private final List<String> trainable;

    private Stage(B b) {
        this.kind = b.kind;
        this.data = List.copyOf(b.data);
        this.steps = b.steps;
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.warmup = b.warmup;
        this.schedule = b.schedule;
        this.weightDecay = b.weightDecay;
        this.dropPath = b.dropPath;
        this.gradientAccumulation = b.gradientAccumulation;
        this.gradientClipping = b.gradientClipping;
        this.checkpointEvery = b.checkpointEvery;
        this.keepCheckpoints = b.keepCheckpoints;
        this.seed = b.seed;
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.textLength = b.textLength;
        this.itc = b.itc;
        this.vlItc = b.vlItc;
        this.itm = b.itm;
        this.globalNegatives = b.globalNegatives;
        this.excludeSameImage = b.excludeSameImage;
        this.mlmProbability = b.mlmProbability;
        this.mlmWeight = b.mlmWeight;
        this.wholeWordMasking = b.wholeWordMasking;
        this.mimTarget = b.mimTarget;
        this.mimMaskRatio = b.mimMaskRatio;
        this.trainable = b.trainable == null ? null : List.copyOf(b.trainable);
    }

    /** Mutable copy used to derive a new stage. */
    private static final class B {
        Kind kind;
        List<DataRef> data = new ArrayList<>();
        int steps;
        int epochs;
        int batchSize;
        double learningRate = Double.NaN;
        double warmup;
        Schedule schedule = Schedule.LINEAR;
        double weightDecay;
        double dropPath = Double.NaN;
        int gradientAccumulation = 1;
        double gradientClipping;
        int checkpointEvery;
        int keepCheckpoints = DEFAULT_KEEP_CHECKPOINTS;
        long seed = 1;
        double beta1 = 0.9;
        double beta2 = 0.98;
        int textLength;
        boolean itc;
        boolean vlItc;
        ItmNegatives itm = ItmNegatives.NONE;
        boolean globalNegatives = true;
        boolean excludeSameImage;
        double mlmProbability;
        double mlmWeight = 1.0;
        boolean wholeWordMasking = true;
        MimTarget mimTarget;
        double mimMaskRatio = DEFAULT_MIM_MASK_RATIO;
        List<String> trainable;

        B() {}

        B(Stage s) {
            kind = s.kind;
            data = new ArrayList<>(s.data);
            steps = s.steps;
            epochs = s.epochs;
            batchSize = s.batchSize;
            learningRate = s.learningRate;
            warmup = s.warmup;
            schedule = s.schedule;
            weightDecay = s.weightDecay;
            dropPath = s.dropPath;
            gradientAccumulation = s.gradientAccumulation;
            gradientClipping = s.gradientClipping;
            checkpointEvery = s.checkpointEvery;
            keepCheckpoints = s.keepCheckpoints;
            seed = s.seed;
            beta1 = s.beta1;
            beta2 = s.beta2;
            textLength = s.textLength;
            itc = s.itc;
            vlItc = s.vlItc;
            itm = s.itm;
            globalNegatives = s.globalNegatives;
            excludeSameImage = s.excludeSameImage;
            mlmProbability = s.mlmProbability;
            mlmWeight = s.mlmWeight;
            wholeWordMasking = s.wholeWordMasking;
            mimTarget = s.mimTarget;
            mimMaskRatio = s.mimMaskRatio;
            trainable = s.trainable;
        }

        Stage build() {
            return new Stage(this);
        }
    }

    private interface Edit {
        void apply(B b);
    }

    private Stage with(Edit e) {
        B b = new B(this);
        e.apply(b);
        return b.build();
    }

    /**
     * The reference's stage 1 (BEiT): masked image modelling of 40% blockwise-masked patches,
     * normalised-pixel targets, batch 2048, lr 1.5e-3, cosine schedule with 1.25% warm-up, weight
     * decay 0.05, betas (0.9, 0.999), 500k steps.
     *
     * @return the stage
     */
    static Stage vision() {
        B b = new B();
        b.kind = Kind.VISION;
        b.steps = 500_000;
        b.batchSize = 2048;
        b.learningRate = 1.5e-3;
        b.warmup = 0.0125;
        b.schedule = Schedule.COSINE;
        b.weightDecay = 0.05;
        b.beta2 = 0.999;
        b.mimTarget = new MimTarget.Pixels();
        return b.build();
    }

    /**
     * The reference's stage 2: whole-word masked language modelling (15%), batch 1024, lr 2e-4, 10%
     * warm-up then linear decay, weight decay 0.01, betas (0.9, 0.98), 200k steps, texts of up to
     * 196 tokens for the reference's presets.
     *
     * @return the stage
     */
    static Stage text() {
        B b = new B();
        b.kind = Kind.TEXT;
        b.steps = 200_000;
        b.batchSize = 1024;
        b.learningRate = 2e-4;
        b.warmup = 0.1;
        b.weightDecay = 0.01;
        b.mlmProbability = 0.15;
        return b.build();
    }

    /**
     * The reference's stage 3: ITC with its VL term, ITM with global hard negatives and 0.25 MLM,
     * batch 1024, warm-up 2500 steps then linear decay, weight decay 0.01, 200k steps; the learning
     * rate is the preset's (2e-4 base, 1e-4 base+, 5e-5 large).
     *
     * @return the stage
     */
    static Stage visionLanguage() {
        B b = new B();
        b.kind = Kind.VISION_LANGUAGE;
        b.steps = 200_000;
        b.batchSize = 1024;
        b.warmup = 2500;
        b.weightDecay = 0.01;
        b.itc = true;
        b.vlItc = true;
        b.itm = ItmNegatives.HARD;
        b.mlmProbability = 0.15;
        b.mlmWeight = 0.25;
        return b.build();
    }

    // ------------------------------------------------------------------ options

    /**
     * Returns this stage reading the given sources (replacing earlier ones).
     *
     * @param sources one or more data sources
     * @return a new stage
     */
    public Stage data(DataRef... sources) {
        if (sources.length == 0) {
            throw new IllegalArgumentException("data needs at least one source");
        }
        for (DataRef r : sources) {
            Objects.requireNonNull(r, "a data source is null");
        }
        return with(b -> b.data = new ArrayList<>(Arrays.asList(sources)));
    }

    /**
     * Returns this stage running a number of optimizer steps (clears epochs).
     *
     * @param v steps, positive
     * @return a new stage
     */
    public Stage steps(int v) {
        Checks.positive("steps", v);
        return with(
                b -> {
                    b.steps = v;
                    b.epochs = 0;
                });
    }

    /**
     * Returns this stage running a number of passes over its data (clears steps).
     *
     * @param v epochs, positive
     * @return a new stage
     */
    public Stage epochs(int v) {
        Checks.positive("epochs", v);
        return with(
                b -> {
                    b.epochs = v;
                    b.steps = 0;
                });
    }

    /**
     * Returns this stage with another global batch size (samples per optimizer step, all devices
     * and accumulation together).
     *
     * @param v samples, positive
     * @return a new stage
     */
    public Stage batchSize(int v) {
        Checks.positive("batchSize", v);
        return with(b -> b.batchSize = v);
    }

    /**
     * Returns this stage with another peak learning rate.
     *
     * @param v the learning rate, positive
     * @return a new stage
     */
    public Stage learningRate(double v) {
        Checks.positive("learningRate", v);
        return with(b -> b.learningRate = v);
    }

    /**
     * Returns this stage with another warm-up: below 1 a fraction of the steps, from 1 on a number
     * of steps.
     *
     * @param v the warm-up, 0 or more
     * @return a new stage
     */
    public Stage warmup(double v) {
        Checks.nonNegative("warmup", v);
        return with(b -> b.warmup = v);
    }

    /**
     * Returns this stage with another learning-rate schedule after warm-up.
     *
     * @param v the schedule
     * @return a new stage
     */
    public Stage schedule(Schedule v) {
        Objects.requireNonNull(v, "schedule");
        return with(b -> b.schedule = v);
    }

    /**
     * Returns this stage with another decoupled weight decay (never applied to norms, biases, layer
     * scales, tokens, tables and logit scales).
     *
     * @param v the decay, 0 or more
     * @return a new stage
     */
    public Stage weightDecay(double v) {
        Checks.nonNegative("weightDecay", v);
        return with(b -> b.weightDecay = v);
    }

    /**
     * Returns this stage with another stochastic depth rate (default: the preset's).
     *
     * @param v the rate of the last block, in [0, 1)
     * @return a new stage
     */
    public Stage dropPath(double v) {
        Checks.fraction("dropPath", v, false);
        return with(b -> b.dropPath = v);
    }

    /**
     * Returns this stage accumulating gradients over micro-batches.
     *
     * @param v micro-batches per optimizer step, positive
     * @return a new stage
     */
    public Stage gradientAccumulation(int v) {
        Checks.positive("gradientAccumulation", v);
        return with(b -> b.gradientAccumulation = v);
    }

    /**
     * Returns this stage clipping the global gradient norm.
     *
     * @param v the maximum norm, or 0 for no clipping
     * @return a new stage
     */
    public Stage gradientClipping(double v) {
        Checks.nonNegative("gradientClipping", v);
        return with(b -> b.gradientClipping = v);
    }

    /**
     * Returns this stage writing a resumable checkpoint every so many steps.
     *
     * @param v steps between checkpoints, or 0 for one at the end only
     * @return a new stage
     */
    public Stage checkpointEvery(int v) {
        Checks.nonNegative("checkpointEvery", v);
        return with(b -> b.checkpointEvery = v);
    }

    /**
     * Returns this stage keeping only its latest {@code n} checkpoints from within the stage (those
     * {@link #checkpointEvery} writes); the checkpoint at the stage's end is always kept. Older
     * ones are deleted as newer ones are written. The default keeps 2: the latest, and the one
     * before in case the latest is damaged. {@code Integer.MAX_VALUE} keeps them all.
     *
     * @param n checkpoints to keep, at least 1
     * @return a new stage
     */
    public Stage keepCheckpoints(int n) {
        Checks.positive("keepCheckpoints", n);
        return with(b -> b.keepCheckpoints = n);
    }

    /**
     * Returns this stage with another seed (data order, masking, negatives, dropout).
     *
     * @param v the seed
     * @return a new stage
     */
    public Stage seed(long v) {
        return with(b -> b.seed = v);
    }

    /**
     * Returns this stage with other AdamW betas.
     *
     * @param b1 beta 1, in (0, 1)
     * @param b2 beta 2, in (0, 1)
     * @return a new stage
     */
    public Stage betas(double b1, double b2) {
        Checks.open01("beta1", b1);
        Checks.open01("beta2", b2);
        return with(
                b -> {
                    b.beta1 = b1;
                    b.beta2 = b2;
                });
    }

    /**
     * Returns this stage with texts padded or cut to a length (default: the model's maximum; 196 in
     * the reference's text stage).
     *
     * @param v tokens, at least 2
     * @return a new stage
     */
    public Stage textLength(int v) {
        if (v < 2) {
            throw new IllegalArgumentException(
                    "textLength must be at least 2 ([CLS] and [SEP]), got " + v);
        }
        return with(b -> b.textLength = v);
    }

    /**
     * Returns this stage with or without the image-text contrastive objective.
     *
     * @param v whether ITC is trained
     * @return a new stage
     */
    public Stage itc(boolean v) {
        return with(b -> b.itc = v);
    }

    /**
     * Returns this stage with or without the reference's second, VL-path contrastive term.
     *
     * @param v whether the VL term is part of ITC
     * @return a new stage
     */
    public Stage vlItc(boolean v) {
        return with(b -> b.vlItc = v);
    }

    /**
     * Returns this stage with another image-text matching setting.
     *
     * @param v NONE, HARD or RANDOM negatives
     * @return a new stage
     */
    public Stage itm(ItmNegatives v) {
        Objects.requireNonNull(v, "itm");
        return with(b -> b.itm = v);
    }

    /**
     * Returns this stage drawing negatives (and contrasting) over the global batch of all devices
     * (true, the reference) or each device's own batch.
     *
     * @param v whether negatives are global
     * @return a new stage
     */
    public Stage globalNegatives(boolean v) {
        return with(b -> b.globalNegatives = v);
    }

    /**
     * Returns this stage excluding other captions of the same image from ITM negatives (not in the
     * reference; an improvement).
     *
     * @param v whether same-image captions are excluded
     * @return a new stage
     */
    public Stage excludeSameImageNegatives(boolean v) {
        return with(b -> b.excludeSameImage = v);
    }

    /**
     * Returns this stage masking a fraction of tokens for MLM.
     *
     * @param v the probability, or 0 for no MLM
     * @return a new stage
     */
    public Stage mlmProbability(double v) {
        Checks.fraction("mlmProbability", v, false);
        return with(b -> b.mlmProbability = v);
    }

    /**
     * Returns this stage weighting the MLM loss (0.25 in the reference's stage 3).
     *
     * @param v the weight, positive
     * @return a new stage
     */
    public Stage mlmWeight(double v) {
        Checks.positive("mlmWeight", v);
        return with(b -> b.mlmWeight = v);
    }

    /**
     * Returns this stage masking whole words (true, the reference) or single word pieces.
     *
     * @param v whether whole words are masked
     * @return a new stage
     */
    public Stage wholeWordMasking(boolean v) {
        return with(b -> b.wholeWordMasking = v);
    }

    /**
     * Returns this stage with another masked-image-modelling target (vision stage).
     *
     * @param v the target
     * @return a new stage
     */
    public Stage mimTarget(MimTarget v) {
        Objects.requireNonNull(v, "mimTarget");
        return with(b -> b.mimTarget = v);
    }

    /**
     * Returns this stage masking another fraction of patches (vision stage, about 0.4 in BEiT).
     *
     * @param v the ratio, in (0, 1)
     * @return a new stage
     */
    public Stage mimMaskRatio(double v) {
        Checks.open01("mimMaskRatio", v);
        return with(b -> b.mimMaskRatio = v);
    }

    /**
     * Returns this stage training only the parameters matching these patterns (dotted reference
     * names; {@code *} matches one name part, a trailing {@code .} matches a prefix), replacing the
     * stage's default freeze list.
     *
     * @param patterns for example {@code "transformer.blocks.*.mlp_text."}
     * @return a new stage
     */
    public Stage trainable(String... patterns) {
        if (patterns.length == 0) {
            throw new IllegalArgumentException("trainable needs at least one pattern");
        }
        return with(b -> b.trainable = List.of(patterns));
    }

    // ------------------------------------------------------------------ accessors

    /**
     * Returns the kind of stage.
     *
     * @return the kind
     */
    public Kind kind() {
        return kind;
    }

    /**
     * Returns the data sources.
     *
     * @return the sources, possibly empty
     */
    public List<DataRef> data() {
        return data;
    }

    /**
     * Returns the steps, or 0 when the stage runs by epochs.
     *
     * @return steps
     */
    public int steps() {
        return steps;
    }

    /**
     * Returns the epochs, or 0 when the stage runs by steps.
     *
     * @return epochs
     */
    public int epochs() {
        return epochs;
    }

    /**
     * Returns the global batch size.
     *
     * @return samples per optimizer step
     */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Returns the peak learning rate, or NaN for the preset's.
     *
     * @return the learning rate
     */
    public double learningRate() {
        return learningRate;
    }

    /**
     * Returns the warm-up (fraction below 1, steps from 1).
     *
     * @return the warm-up
     */
    public double warmup() {
        return warmup;
    }

    /**
     * Returns the schedule.
     *
     * @return the schedule
     */
    public Schedule schedule() {
        return schedule;
    }

    /**
     * Returns the weight decay.
     *
     * @return the decay
     */
    public double weightDecay() {
        return weightDecay;
    }

    /**
     * Returns the drop path rate, or NaN for the preset's.
     *
     * @return the rate
     */
    public double dropPath() {
        return dropPath;
    }

    /**
     * Returns the gradient accumulation.
     *
     * @return micro-batches per step
     */
    public int gradientAccumulation() {
        return gradientAccumulation;
    }

    /**
     * Returns the gradient clipping norm (0 for none).
     *
     * @return the norm
     */
    public double gradientClipping() {
        return gradientClipping;
    }

    /**
     * Returns the checkpoint interval (0 for the end only).
     *
     * @return steps
     */
    public int checkpointEvery() {
        return checkpointEvery;
    }

    /**
     * Returns how many of the stage's checkpoints from within the stage are kept.
     *
     * @return at least 1
     */
    public int keepCheckpoints() {
        return keepCheckpoints;
    }

    /**
     * Returns the seed.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * Returns AdamW's beta 1.
     *
     * @return beta 1
     */
    public double beta1() {
        return beta1;
    }

    /**
     * Returns AdamW's beta 2.
     *
     * @return beta 2
     */
    public double beta2() {
        return beta2;
    }

    /**
     * Returns the text length, or 0 for the default.
     *
     * @return tokens
     */
    public int textLength() {
        return textLength;
    }

    /**
     * Returns whether ITC is trained.
     *
     * @return ITC on
     */
    public boolean itc() {
        return itc;
    }

    /**
     * Returns whether the VL contrastive term is trained.
     *
     * @return VL-ITC on
     */
    public boolean vlItc() {
        return vlItc;
    }

    /**
     * Returns the ITM negatives.
     *
     * @return NONE, HARD or RANDOM
     */
    public ItmNegatives itm() {
        return itm;
    }

    /**
     * Returns whether negatives are drawn over all devices.
     *
     * @return global negatives
     */
    public boolean globalNegatives() {
        return globalNegatives;
    }

    /**
     * Returns whether same-image captions are excluded from negatives.
     *
     * @return exclusion on
     */
    public boolean excludeSameImageNegatives() {
        return excludeSameImage;
    }

    /**
     * Returns the MLM masking probability (0 for no MLM).
     *
     * @return the probability
     */
    public double mlmProbability() {
        return mlmProbability;
    }

    /**
     * Returns the MLM loss weight.
     *
     * @return the weight
     */
    public double mlmWeight() {
        return mlmWeight;
    }

    /**
     * Returns whether whole words are masked.
     *
     * @return whole-word masking
     */
    public boolean wholeWordMasking() {
        return wholeWordMasking;
    }

    /**
     * Returns the MIM target, or null when the stage has no MIM.
     *
     * @return the target
     */
    public MimTarget mimTarget() {
        return mimTarget;
    }

    /**
     * Returns the MIM mask ratio.
     *
     * @return the ratio
     */
    public double mimMaskRatio() {
        return mimMaskRatio;
    }

    /**
     * Returns the trainable patterns, or null for the stage's defaults.
     *
     * @return patterns
     */
    public List<String> trainable() {
        return trainable;
    }

    /**
     * Returns the objectives this stage trains, in words.
     *
     * @return for example {@code "ITC + VL-ITC, ITM (hard, global), MLM 0.15 x0.25"}
     */
    public String objectives() {
        List<String> parts = new ArrayList<>();
        if (mimTarget != null && kind == Kind.VISION) {
            parts.add(String.format(Locale.ROOT, "MIM %.0f%% (%s)", mimMaskRatio * 100, mimTarget));
        }
        if (itc) {
            parts.add(vlItc ? "ITC + VL-ITC" : "ITC");
        }
        if (itm != ItmNegatives.NONE) {
            parts.add(
                    "ITM ("
                            + itm.name().toLowerCase(Locale.ROOT)
                            + (globalNegatives ? ", global" : ", local")
                            + (excludeSameImage ? ", same image excluded" : "")
                            + ")");
        }
        if (mlmProbability > 0 && kind != Kind.VISION) {
            parts.add(
                    String.format(
                            Locale.ROOT,
                            "MLM %.2f%s%s",
                            mlmProbability,
                            wholeWordMasking ? " whole-word" : "",
                            mlmWeight != 1.0 ? " x" + mlmWeight : ""));
        }
        return parts.isEmpty() ? "none" : String.join(", ", parts);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Stage s && toString().equals(s.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(kind.dslName()).append("()");
        if (!data.isEmpty()) {
            sb.append(".data(");
            for (int i = 0; i < data.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(data.get(i).describe());
            }
            sb.append(")");
        }
        sb.append(epochs > 0 ? ".epochs(" + epochs + ")" : ".steps(" + steps + ")");
        sb.append(".batchSize(").append(batchSize).append(")");
        if (!Double.isNaN(learningRate)) {
            sb.append(".learningRate(").append(learningRate).append(")");
        }
        sb.append(" [").append(objectives()).append("]");
        sb.append(
                String.format(
                        Locale.ROOT,
                        " warmup %s, %s, wd %s, betas (%s, %s), accumulation %d, clip %s, seed %d%s%s%s",
                        warmup,
                        schedule.name().toLowerCase(Locale.ROOT),
                        weightDecay,
                        beta1,
                        beta2,
                        gradientAccumulation,
                        gradientClipping,
                        seed,
                        Double.isNaN(dropPath) ? "" : ", drop path " + dropPath,
                        textLength > 0 ? ", text length " + textLength : "",
                        trainable == null ? "" : ", trainable " + trainable));
        if (checkpointEvery > 0) {
            sb.append(", checkpoint every ").append(checkpointEvery);
        }
        if (keepCheckpoints != DEFAULT_KEEP_CHECKPOINTS) {
            sb.append(", keep ").append(keepCheckpoints).append(" checkpoints");
        }
        return sb.toString();
    }
}
