package dev.vlmo.dsl.engine;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.vlmo.model.Engines;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A visual tokenizer for masked image modelling on discrete targets ({@code MimTarget.Tokens}): a
 * TorchScript module, loaded by DJL's PyTorch engine, that maps a batch of images as the model sees
 * them (B, 3, S, S), normalised by the stage's transform, to one token id per patch (B, (S/P)^2),
 * patches row by row, ids in [0, vocabulary). BEiT's dVAE tokenizer, exported with {@code
 * torch.jit.script} or {@code trace} behind a wrapper that applies its own preprocessing, is one.
 * The module runs without gradients and its weights never change.
 */
public final class VisualTokenizer implements AutoCloseable {

    private final Path file;
    private final int vocabulary;
    private final Model model;

    private VisualTokenizer(Path file, int vocabulary, Model model) {
        this.file = file;
        this.vocabulary = vocabulary;
        this.model = model;
    }

    /**
     * Loads a TorchScript tokenizer.
     *
     * @param file the TorchScript file ({@code module.save(...)} in PyTorch)
     * @param vocabulary the number of visual tokens
     * @param device where it runs
     * @return the tokenizer
     * @throws IOException if the file is missing or is not a TorchScript module
     */
    public static VisualTokenizer load(Path file, int vocabulary, Device device)
            throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    "no visual tokenizer at "
                            + file.toAbsolutePath()
                            + "; give a TorchScript file (torch.jit.script(tokenizer).save(path))");
        }
        Model model = Model.newInstance("visual-tokenizer", device, Engines.DEFAULT);
        try (InputStream in = Files.newInputStream(file)) {
            model.load(in);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException(
                    "cannot load the visual tokenizer "
                            + file
                            + " as a TorchScript module: "
                            + e.getMessage(),
                    e);
        }
        return new VisualTokenizer(file, vocabulary, model);
    }

    /**
     * Tokenizes a batch of images.
     *
     * @param images (B, 3, S, S), normalised as the model's input
     * @param patches the number of patches per image the model expects, (S/P)^2
     * @return (B, patches) token ids as int64, in the images' manager
     * @throws IllegalStateException naming the tokenizer if its output has another shape or an id
     *     outside [0, vocabulary)
     */
    public NDArray tokens(NDArray images, int patches) {
        long b = images.getShape().get(0);
        NDList out =
                model.getBlock()
                        .forward(
                                new ParameterStore(images.getManager(), false),
                                new NDList(images),
                                false);
        NDArray ids = out.singletonOrThrow();
        Shape want = new Shape(b, patches);
        if (!ids.getShape().equals(want)) {
            throw new IllegalStateException(
                    "the visual tokenizer "
                            + file
                            + " returned "
                            + ids.getShape()
                            + " for "
                            + images.getShape()
                            + " images; MIM needs one token per patch: "
                            + want);
        }
        ids = ids.toType(DataType.INT64, false);
        long min = ids.min().getLong();
        long max = ids.max().getLong();
        if (min < 0 || max >= vocabulary) {
            throw new IllegalStateException(
                    "the visual tokenizer "
                            + file
                            + " returned token ids in ["
                            + min
                            + ", "
                            + max
                            + "], outside the vocabulary of "
                            + vocabulary
                            + " given in MimTarget.Tokens");
        }
        ids.attach(images.getManager());
        return ids;
    }

    /**
     * Returns the number of visual tokens.
     *
     * @return the vocabulary size
     */
    public int vocabulary() {
        return vocabulary;
    }

    @Override
    public void close() {
        model.close();
    }
}
