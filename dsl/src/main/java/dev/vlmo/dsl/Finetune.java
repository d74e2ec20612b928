package dev.vlmo.dsl;

import dev.vlmo.model.VlmoConfig;
import java.util.Locale;
import java.util.Objects;

/**
 * A fine-tuning task: which downstream task, on which data, for how long and how. Immutable: every
 * method returns a new value and checks its argument where it is given. Create one with {@link
 * Dsl#vqa()}, {@link Dsl#nlvr2()}, {@link Dsl#retrieval()}, {@link Dsl#classification()} or {@link
 * Dsl#linearProbe()} and run it from a pretrained run ({@link Run#finetune(Finetune)}) or from a
 * checkpoint ({@link Vlmo#finetune(Finetune, Runtime)}).
 *
 * <p>Values left unset take the defaults of the task and the preset ({@link #resolve(VlmoConfig)}):
 * the reference's fine-tuning configurations for base, basePlus and large, and settings that train
 * in minutes on the built-in world for tiny and small.
 */
public final class Finetune {

    /** The four downstream tasks of the paper. */
    public enum Task {
        /** Visual question answering: fusion encoder, pooled text CLS to the VQA head. */
        VQA,
        /** Natural-language visual reasoning: two fusion passes, concatenated pooled vectors. */
        NLVR2,
        /** Image-text retrieval: the dual encoder fine-tuned with the contrastive loss. */
        RETRIEVAL,
        /** Image classification with the vision expert alone. */
        CLASSIFICATION;

        /**
         * Returns the name used in descriptions and run directories.
         *
         * @return the DSL name
         */
        public String dslName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Steps between a fine-tune's checkpoints unless {@link #checkpointEvery(int)} says. */
    public static final int DEFAULT_CHECKPOINT_EVERY = 500;

    private final B v;

    private Finetune(B b) {
        this.v = b;
    }

    /** Mutable values, copied for every change. */
    private static final class B implements Cloneable {
        Task task;
        DataRef data = Dsl.builtIn();
        DataRef evalData;
        int steps;
        int epochs;
        int batchSize;
        double learningRate = Double.NaN;
        double headLrMultiplier = Double.NaN;
        double warmup = Double.NaN;
        double weightDecay = 0.01;
        double dropPath = Double.NaN;
        int imageSize;
        int textLength;
        long seed = 1;
        boolean linearProbe;
        double gradientClipping = Double.NaN;
        int rerankTop;
        int checkpointEvery = DEFAULT_CHECKPOINT_EVERY;
        boolean augment = true;

        @Override
        protected B clone() {
            try {
                return (B) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private interface Edit {
        void apply(B b);
    }

    private Finetune with(Edit e) {
        B b = v.clone();
        e.apply(b);
        return new Finetune(b);
    }

    static Finetune of(Task task, boolean linearProbe) {
        B b = new B();
        b.task = task;
        b.linearProbe = linearProbe;
        return new Finetune(b);
    }

    /**
     * Returns this task on other training data.
     *
     * @param data the training data (for the built-in world, its training split)
     * @return a new task
     */
    public Finetune data(DataRef data) {
        Objects.requireNonNull(data, "data");
        return with(b -> b.data = data);
    }

    /**
     * Returns this task evaluated on other data; by default the built-in world's held-out test
     * split, or the test split of a Karpathy dataset.
     *
     * @param data the evaluation data
     * @return a new task
     */
    public Finetune evalData(DataRef data) {
        Objects.requireNonNull(data, "evalData");
        return with(b -> b.evalData = data);
    }

    /**
     * Returns this task trained for a number of optimizer steps (instead of epochs).
     *
     * @param n steps, positive
     * @return a new task
     */
    public Finetune steps(int n) {
        Checks.positive("steps", n);
        return with(
                b -> {
                    b.steps = n;
                    b.epochs = 0;
                });
    }

    /**
     * Returns this task trained for a number of passes over its training data.
     *
     * @param n epochs, positive
     * @return a new task
     */
    public Finetune epochs(int n) {
        Checks.positive("epochs", n);
        return with(
                b -> {
                    b.epochs = n;
                    b.steps = 0;
                });
    }

    /**
     * Returns this task with another batch size.
     *
     * @param n samples per optimizer step, positive
     * @return a new task
     */
    public Finetune batchSize(int n) {
        Checks.positive("batchSize", n);
        return with(b -> b.batchSize = n);
    }

    /**
     * Returns this task with another peak learning rate for the backbone.
     *
     * @param lr positive
     * @return a new task
     */
    public Finetune learningRate(double lr) {
        Checks.positive("learningRate", lr);
        return with(b -> b.learningRate = lr);
    }

    /**
     * Returns this task with the task head learning at a multiple of the backbone's rate (the
     * reference's {@code lr_mult}: 20 for VQA).
     *
     * @param m positive
     * @return a new task
     */
    public Finetune headLrMultiplier(double m) {
        Checks.positive("headLrMultiplier", m);
        return with(b -> b.headLrMultiplier = m);
    }

    /**
     * Returns this task with another warm-up: a fraction of the steps when below 1, else steps.
     *
     * @param w 0 or more
     * @return a new task
     */
    public Finetune warmup(double w) {
        Checks.nonNegative("warmup", w);
        return with(b -> b.warmup = w);
    }

    /**
     * Returns this task with another decoupled weight decay (not applied to norms, biases, tokens
     * and tables).
     *
     * @param wd 0 or more
     * @return a new task
     */
    public Finetune weightDecay(double wd) {
        Checks.nonNegative("weightDecay", wd);
        return with(b -> b.weightDecay = wd);
    }

    /**
     * Returns this task with another stochastic depth rate.
     *
     * @param rate in [0, 1)
     * @return a new task
     */
    public Finetune dropPath(double rate) {
        Checks.fraction("dropPath", rate, false);
        return with(b -> b.dropPath = rate);
    }

    /**
     * Returns this task at another image resolution; position embeddings and the relative position
     * table are interpolated from the pretrained ones as the reference's loader does.
     *
     * @param size pixels, a positive multiple of the patch size
     * @return a new task
     */
    public Finetune imageSize(int size) {
        Checks.positive("imageSize", size);
        return with(b -> b.imageSize = size);
    }

    /**
     * Returns this task with texts cut to another number of tokens (default: the model's maximum).
     *
     * @param n tokens including [CLS] and [SEP], at least 3
     * @return a new task
     */
    public Finetune textLength(int n) {
        if (n < 3) {
            throw new IllegalArgumentException("textLength must be at least 3, got " + n);
        }
        return with(b -> b.textLength = n);
    }

    /**
     * Returns this task with another seed (data order, dropout, head initialisation).
     *
     * @param s the seed
     * @return a new task
     */
    public Finetune seed(long s) {
        return with(b -> b.seed = s);
    }

    /**
     * Returns this task with gradient clipping by global norm.
     *
     * @param maxNorm positive, or 0 for none
     * @return a new task
     */
    public Finetune gradientClipping(double maxNorm) {
        Checks.nonNegative("gradientClipping", maxNorm);
        return with(b -> b.gradientClipping = maxNorm);
    }

    /**
     * Returns this task checkpointed every {@code steps} optimizer steps (500 by default; 0 for
     * never): the trained parameters, the optimizer's moments and the step go to {@code
     * checkpoint/} in the fine-tune's directory, written through a temporary folder. A fine-tune
     * killed part way continues from its last checkpoint when the runtime has {@code .resume(true)}
     * and the same run directory, with the same losses as an uninterrupted run.
     *
     * @param steps steps between checkpoints, 0 for none
     * @return a new task
     */
    public Finetune checkpointEvery(int steps) {
        Checks.nonNegative("checkpointEvery", steps);
        return with(b -> b.checkpointEvery = steps);
    }

    /**
     * Returns this task with or without training-time augmentation. By default training images get
     * the reference's augmentation (random resized crop of 50-100% of the area, horizontal flip,
     * RandAugment(2, 7)); without it they are resized as evaluation images are. Turn it off for
     * data whose labels a crop or a flip changes (small objects near the border, "left" and "right"
     * in answers, diagrams). The built-in world is never augmented.
     *
     * @param on whether to augment training images
     * @return a new task
     */
    public Finetune augment(boolean on) {
        return with(b -> b.augment = on);
    }

    /**
     * Returns whether training images are augmented (see {@link #augment(boolean)}).
     *
     * @return true unless turned off
     */
    public boolean augment() {
        return v.augment;
    }

    /**
     * Returns this retrieval task evaluated with the top {@code k} candidates of the dual encoder
     * re-ranked by the fusion encoder's ITM head (a known improvement over the reference's
     * evaluation, which ranks by the dual encoder alone).
     *
     * @param k candidates re-ranked per query, 0 for none
     * @return a new task
     */
    public Finetune rerankTop(int k) {
        Checks.nonNegative("rerankTop", k);
        if (v.task != Task.RETRIEVAL && k > 0) {
            throw new IllegalArgumentException(
                    "rerankTop applies to retrieval, not to " + v.task.dslName());
        }
        return with(b -> b.rerankTop = k);
    }

    /**
     * Returns the task.
     *
     * @return the task
     */
    public Task task() {
        return v.task;
    }

    /**
     * Returns the training data.
     *
     * @return the data
     */
    public DataRef data() {
        return v.data;
    }

    /**
     * Returns the evaluation data, or {@code null} for the training data's held-out split.
     *
     * @return the data or null
     */
    public DataRef evalData() {
        return v.evalData;
    }

    /**
     * Returns whether only the head is trained (classification's linear probe).
     *
     * @return true for a linear probe
     */
    public boolean linearProbe() {
        return v.linearProbe;
    }

    /**
     * Returns how often the fine-tune writes a checkpoint, in optimizer steps (0 for never).
     *
     * @return steps between checkpoints
     */
    public int checkpointEvery() {
        return v.checkpointEvery;
    }

    /**
     * Returns the number of ITM re-ranked candidates (retrieval), 0 for none.
     *
     * @return k
     */
    public int rerankTop() {
        return v.rerankTop;
    }

    /**
     * Returns the seed.
     *
     * @return the seed
     */
    public long seed() {
        return v.seed;
    }

    /**
     * The settings of a task for a model, defaults filled in.
     *
     * @param steps optimizer steps, or 0 when {@code epochs} is set
     * @param epochs passes over the data, or 0 when {@code steps} is set
     * @param batchSize samples per step
     * @param learningRate peak learning rate of the backbone
     * @param headLrMultiplier the head's learning rate over the backbone's
     * @param warmup fraction of the steps when below 1, else steps
     * @param weightDecay decoupled weight decay
     * @param dropPath stochastic depth
     * @param imageSize image side in pixels
     * @param textLength tokens per text
     * @param gradientClipping max global gradient norm, 0 for none
     */
    public record Settings(
            int steps,
            int epochs,
            int batchSize,
            double learningRate,
            double headLrMultiplier,
            double warmup,
            double weightDecay,
            double dropPath,
            int imageSize,
            int textLength,
            double gradientClipping) {

        /**
         * Returns the warm-up in steps for a run of {@code total} steps.
         *
         * @param total the run's steps
         * @return warm-up steps
         */
        public int warmupSteps(int total) {
            return (int) Math.min(total, warmup < 1 ? Math.round(warmup * total) : warmup);
        }
    }

    /**
     * Fills in the defaults of this task for a pretrained model: the reference's configurations
     * ({@code task_finetune_*} in its {@code config.py}) for base, basePlus and large; settings
     * measured to train on the built-in world in minutes for tiny and small. Classification is not
     * in the reference; its defaults follow BEiT's base fine-tuning (lr 4e-3 at batch 1024, 100
     * epochs, 20 warm-up, weight decay 0.05) without layer-wise decay, and a linear probe trains
     * the head alone at 10x that rate without decay.
     *
     * @param pretrained the pretrained model's configuration
     * @return the settings
     */
    public Settings resolve(VlmoConfig pretrained) {
        String preset = pretrained.name().toLowerCase(Locale.ROOT).replace("_", "");
        boolean large = preset.startsWith("large");
        boolean plus = preset.startsWith("baseplus");
        boolean small = preset.startsWith("tiny") || preset.startsWith("small");
        int steps;
        int epochs;
        int batch;
        double lr;
        double head;
        double warm;
        double dp;
        int size;
        double wd = v.weightDecay;
        if (small) {
            // the built-in world: a few hundred steps of batch 64 at the quickstart's learning rate
            // VQA needs the most steps: its answers depend on grounding words in the scene
            steps = v.task == Task.VQA ? 1500 : 300;
            epochs = 0;
            batch = 64;
            lr = v.task == Task.CLASSIFICATION && v.linearProbe ? 1e-2 : 1e-3;
            head = v.task == Task.VQA ? 5 : 1;
            warm = 0.1;
            dp = 0.1;
            size = pretrained.imageSize();
        } else {
            switch (v.task) {
                case VQA -> {
                    steps = 0;
                    epochs = 10;
                    batch = 128;
                    lr = large ? 1.5e-5 : 3e-5;
                    head = 20;
                    warm = 0.1;
                    dp = 0.15;
                    size = 480;
                }
                case NLVR2 -> {
                    steps = 0;
                    epochs = 10;
                    batch = 128;
                    lr = large || plus ? 3e-5 : 5e-5;
                    head = 1;
                    warm = 0.1;
                    dp = plus ? 0.2 : large ? 0.15 : 0.1;
                    size = 384;
                }
                case RETRIEVAL -> {
                    // COCO: 3000 steps with 300 warm-up (Flickr30k: 1500 and 150)
                    steps = 3000;
                    epochs = 0;
                    batch = 3072;
                    lr = large ? 2e-5 : 3e-5;
                    head = 1;
                    warm = 0.1;
                    dp = 0.2;
                    size = 384;
                }
                default -> {
                    steps = 0;
                    epochs = v.linearProbe ? 90 : 100;
                    batch = 1024;
                    lr = v.linearProbe ? 4e-2 : 4e-3;
                    head = 1;
                    warm = v.linearProbe ? 0.1 : 0.2;
                    dp = 0.1;
                    size = 224;
                    if (v.weightDecay == 0.01) {
                        wd = v.linearProbe ? 0.0 : 0.05;
                    }
                }
            }
        }
        if (v.steps > 0 || v.epochs > 0) {
            steps = v.steps;
            epochs = v.epochs;
        }
        double clip = v.gradientClipping;
        if (small && Double.isNaN(clip)) {
            clip = 1.0; // as the quickstart's pretraining clips
        }
        return new Settings(
                steps,
                epochs,
                v.batchSize > 0 ? v.batchSize : batch,
                Double.isNaN(v.learningRate) ? lr : v.learningRate,
                Double.isNaN(v.headLrMultiplier) ? head : v.headLrMultiplier,
                Double.isNaN(v.warmup) ? warm : v.warmup,
                wd,
                Double.isNaN(v.dropPath) ? dp : v.dropPath,
                v.imageSize > 0 ? v.imageSize : size,
                v.textLength > 0 ? v.textLength : pretrained.maxTextLen(),
                Double.isNaN(clip) ? 0 : clip);
    }

    /**
     * Returns this task cut for a smoke run: a small built-in world, a few steps of a small batch,
     * at the smoke model's image size.
     *
     * @param imageSize the smoke model's image size
     * @return a new task
     */
    Finetune smoke(int imageSize) {
        return with(
                b -> {
                    b.data = Dsl.builtIn().scenes(64, 16);
                    b.evalData = null;
                    b.steps = 2;
                    b.epochs = 0;
                    b.batchSize = 4;
                    b.warmup = 1;
                    b.imageSize = imageSize;
                    b.textLength = 0;
                    b.rerankTop = Math.min(b.rerankTop, 2);
                });
    }

    /**
     * Returns the name of this task in descriptions: {@code vqa}, {@code nlvr2}, {@code retrieval},
     * {@code classification} or {@code linearProbe}.
     *
     * @return the name
     */
    public String name() {
        return v.task == Task.CLASSIFICATION && v.linearProbe ? "linearProbe" : v.task.dslName();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name()).append("()");
        sb.append(".data(").append(v.data.describe()).append(')');
        if (v.evalData != null) {
            sb.append(".evalData(").append(v.evalData.describe()).append(')');
        }
        if (v.steps > 0) {
            sb.append(".steps(").append(v.steps).append(')');
        }
        if (v.epochs > 0) {
            sb.append(".epochs(").append(v.epochs).append(')');
        }
        if (v.batchSize > 0) {
            sb.append(".batchSize(").append(v.batchSize).append(')');
        }
        if (!Double.isNaN(v.learningRate)) {
            sb.append(".learningRate(").append(v.learningRate).append(')');
        }
        if (v.imageSize > 0) {
            sb.append(".imageSize(").append(v.imageSize).append(')');
        }
        if (v.rerankTop > 0) {
            sb.append(".rerankTop(").append(v.rerankTop).append(')');
        }
        if (v.checkpointEvery != DEFAULT_CHECKPOINT_EVERY) {
            sb.append(".checkpointEvery(").append(v.checkpointEvery).append(')');
        }
        if (!v.augment) {
            sb.append(".augment(false)");
        }
        return sb.toString();
    }
}
