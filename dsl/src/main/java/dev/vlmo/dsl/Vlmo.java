package dev.vlmo.dsl;

import dev.vlmo.dsl.engine.Trainer;
import dev.vlmo.model.VlmoConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import tech.tablesaw.api.Table;

/**
 * A description of a VLMo model and its stagewise pretraining. Immutable: {@link #stage(Stage)} and
 * every {@code withX} return a new description; nothing trains before {@link #run(Runtime)}.
 *
 * <pre>{@code
 * Vlmo.base()
 *     .stage(vision().data(imageFolder("imagenet/train")))
 *     .stage(text().data(textLines("wiki/*.txt")))
 *     .stage(visionLanguage().data(webDataset("cc3m/{00000..00331}.tar")))
 *     .run(on(gpus()));
 * }</pre>
 */
public final class Vlmo {

    private final VlmoConfig config;
    private final List<Stage> stages;
    private final Path vocabulary;
    private final Path startFrom;

    private Vlmo(VlmoConfig config, List<Stage> stages, Path vocabulary, Path startFrom) {
        this.config = Objects.requireNonNull(config, "config");
        this.stages = List.copyOf(stages);
        this.vocabulary = vocabulary;
        this.startFrom = startFrom;
    }

    /**
     * Describes a model of the given configuration with no stages yet.
     *
     * @param config the model configuration
     * @return the description
     */
    public static Vlmo of(VlmoConfig config) {
        return new Vlmo(config, List.of(), null, null);
    }

    /**
     * The tiny preset, for CPU work on the built-in world.
     *
     * @return the description
     */
    public static Vlmo tiny() {
        return of(VlmoConfig.tiny());
    }

    /**
     * The small preset (ViT-S sized).
     *
     * @return the description
     */
    public static Vlmo small() {
        return of(VlmoConfig.small());
    }

    /**
     * VLMo-Base.
     *
     * @return the description
     */
    public static Vlmo base() {
        return of(VlmoConfig.base());
    }

    /**
     * VLMo-Base+.
     *
     * @return the description
     */
    public static Vlmo basePlus() {
        return of(VlmoConfig.basePlus());
    }

    /**
     * VLMo-Large.
     *
     * @return the description
     */
    public static Vlmo large() {
        return of(VlmoConfig.large());
    }

    /**
     * Returns this description with its model configuration changed, for example {@code
     * Vlmo.tiny().model(c -> c.withHidden(128).withHeads(8))}.
     *
     * @param change the change to the configuration
     * @return a new description
     */
    public Vlmo model(UnaryOperator<VlmoConfig> change) {
        return new Vlmo(change.apply(config), stages, vocabulary, startFrom);
    }

    /**
     * Returns this description with another stage appended; each stage starts from the weights the
     * previous one ended with.
     *
     * @param stage the stage
     * @return a new description
     */
    public Vlmo stage(Stage stage) {
        Objects.requireNonNull(stage, "stage");
        List<Stage> s = new ArrayList<>(stages);
        s.add(stage);
        return new Vlmo(config, s, vocabulary, startFrom);
    }

    /**
     * Returns this description tokenizing with a WordPiece {@code vocab.txt} (BERT uncased for the
     * reference's checkpoints); without one, the built-in world's vocabulary is used.
     *
     * @param vocabTxt the vocabulary file
     * @return a new description
     */
    public Vlmo vocabulary(Path vocabTxt) {
        Objects.requireNonNull(vocabTxt, "vocabulary");
        return new Vlmo(config, stages, vocabTxt, startFrom);
    }

    /**
     * Returns this description starting its first stage from a checkpoint (this project's or the
     * reference's {@code .pt}).
     *
     * @param checkpoint the file
     * @return a new description
     */
    public Vlmo startFrom(Path checkpoint) {
        Objects.requireNonNull(checkpoint, "checkpoint");
        return new Vlmo(config, stages, vocabulary, checkpoint);
    }

    /**
     * Returns the model configuration.
     *
     * @return the configuration
     */
    public VlmoConfig config() {
        return config;
    }

    /**
     * Returns the stages.
     *
     * @return the stages in order
     */
    public List<Stage> stages() {
        return stages;
    }

    /**
     * Returns the vocabulary file, or null for the built-in world's.
     *
     * @return the file
     */
    public Path vocabulary() {
        return vocabulary;
    }

    /**
     * Returns the checkpoint the first stage starts from, or null.
     *
     * @return the file
     */
    public Path startFrom() {
        return startFrom;
    }

    /**
     * Checks the description as a whole and resolves its defaults, without training.
     *
     * @param runtime where it would run
     * @return the plan
     * @throws IllegalArgumentException naming the stage and the fix if a combination is invalid
     */
    public Plan compile(Runtime runtime) {
        return Plan.compile(this, runtime);
    }

    /**
     * Describes the plan as a table: one row per stage with its objectives, data, steps, batch,
     * learning rate and trainable and frozen parameter counts.
     *
     * @return the table
     */
    public Table describe() {
        return compile(Dsl.on(Dsl.cpu())).describe();
    }

    /**
     * Runs every stage.
     *
     * @param runtime where and how to run
     * @return the finished run: its model, metrics and results
     */
    public Run run(Runtime runtime) {
        return Trainer.run(compile(runtime), runtime);
    }

    /**
     * Fine-tunes this description's model from its checkpoint ({@link #startFrom(Path)}: a
     * reference {@code .pt} file, official or exported, or a run's {@code model.params}) on one
     * downstream task, without pretraining. The stages, if any, are not run: they name the model
     * that was trained (so the description that pretrained a {@code model.params} fine-tunes it).
     *
     * @param task the task
     * @param runtime where and how (its run directory receives {@code finetune-TASK})
     * @return the fine-tuned model with its evaluation
     * @throws IllegalStateException if no checkpoint is given
     */
    public FinetuneRun finetune(Finetune task, Runtime runtime) {
        Objects.requireNonNull(task, "task");
        if (startFrom == null) {
            throw new IllegalStateException(
                    "finetune needs pretrained weights: add .startFrom(checkpoint) to the"
                            + " description, or fine-tune a finished run with run.finetune(task)");
        }
        dev.vlmo.datasets.text.WordPieceTokenizer tok =
                new dev.vlmo.datasets.text.WordPieceTokenizer(
                        vocabulary != null && !runtime.isSmoke()
                                ? dev.vlmo.datasets.text.Vocabulary.load(vocabulary)
                                : dev.vlmo.datasets.synthetic.SyntheticWorld.lexiconVocabulary());
        // image classification reads no text: without a vocabulary file the model takes the
        // checkpoint's vocabulary size (set below from its word embeddings)
        boolean vocabFromCheckpoint =
                stages.isEmpty()
                        && vocabulary == null
                        && !runtime.isSmoke()
                        && task.task() == Finetune.Task.CLASSIFICATION;
        VlmoConfig c;
        if (!stages.isEmpty()) {
            c = compile(runtime).model(); // the model these stages trained
        } else {
            c = runtime.isSmoke() ? Plan.smokeModel(config) : config;
            if (!vocabFromCheckpoint) {
                c = c.withVocabSize(tok.vocabulary().size());
            }
        }
        Finetune t = runtime.isSmoke() ? task.smoke(c.imageSize()) : task;
        java.util.Map<String, dev.vlmo.model.checkpoint.TensorData> weights;
        try {
            if (runtime.isSmoke()) {
                // the checkpoint is for the full-size model: a smoke run starts from fresh weights
                try (ai.djl.ndarray.NDManager m =
                        dev.vlmo.model.Engines.newManager(runtime.engine())) {
                    weights =
                            dev.vlmo.model.checkpoint.CheckpointExporter.stateDict(
                                    new dev.vlmo.model.VlmoModel(c).initialize(m));
                }
            } else {
                // both formats are read as the file holds them, whatever the vocabulary size
                weights = readParams(c, runtime.engine());
                dev.vlmo.model.checkpoint.TensorData words =
                        weights.get("text_embeddings.word_embeddings.weight");
                if (vocabFromCheckpoint && words != null) {
                    c = c.withVocabSize((int) words.shape()[0]);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + startFrom, e);
        }
        return dev.vlmo.dsl.engine.FineTuner.run(
                t,
                c,
                weights,
                startFrom.toString(),
                tok,
                runtime,
                Run.finetuneDir(runtime.runDir(), t, runtime.resume()));
    }

    /**
     * Reads the checkpoint to start from: a PyTorch file, or a run's {@code model.params} written
     * by a model of this configuration, with or without the masked-image-modelling head (a run with
     * a vision stage) and task heads.
     */
    private java.util.Map<String, dev.vlmo.model.checkpoint.TensorData> readParams(
            VlmoConfig c, String engine) throws java.io.IOException {
        try (ai.djl.ndarray.NDManager m = dev.vlmo.model.Engines.newManager(engine)) {
            return dev.vlmo.model.checkpoint.CheckpointImporter.read(
                    new dev.vlmo.model.VlmoModel(c), startFrom, m);
        } catch (dev.vlmo.model.checkpoint.CheckpointMismatchException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Vlmo v && toString().equals(v.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Vlmo." + config.name() + "()");
        VlmoConfig preset;
        try {
            preset = VlmoConfig.preset(config.name());
        } catch (IllegalArgumentException e) {
            preset = null;
        }
        if (!config.equals(preset)) {
            sb.append(" with ").append(config);
        }
        if (vocabulary != null) {
            sb.append("\n  .vocabulary(").append(vocabulary).append(")");
        }
        if (startFrom != null) {
            sb.append("\n  .startFrom(").append(startFrom).append(")");
        }
        for (Stage s : stages) {
            sb.append("\n  .stage(").append(s).append(")");
        }
        return sb.toString();
    }
}
