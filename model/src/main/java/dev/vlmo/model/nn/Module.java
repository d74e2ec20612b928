package dev.vlmo.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A DJL block whose parameter shapes are fixed at construction, in the manner of a PyTorch module.
 *
 * <p>Child and parameter names are the names of the reference implementation's modules, so the
 * dotted path of a parameter ({@link #namedParameters()}) is its key in a reference state dict.
 * Subclasses expose typed {@code forward} methods; the generic {@link #forward} of DJL is supported
 * where a block has a single input and output.
 */
public abstract class Module extends AbstractBlock {

    private final Map<String, Block> namedChildren = new LinkedHashMap<>();

    /** Creates an empty module. */
    protected Module() {
        super((byte) 1);
    }

    /**
     * Writes every parameter to a file in DJL's parameter format, through a temporary file renamed
     * into place (a crash leaves the old file or the new one).
     *
     * @param file the file to write
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out =
                new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
            saveParameters(out);
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Reads every parameter from a file written by {@link #save(Path)}, as DJL's {@code
     * loadParameters} does from a stream.
     *
     * @param file the file to read
     * @param manager the manager that will own the arrays
     * @throws IOException if reading fails (an {@link java.io.EOFException} for a truncated file)
     * @throws ai.djl.MalformedModelException if the file holds other parameters
     */
    public void readParameters(Path file, NDManager manager)
            throws IOException, ai.djl.MalformedModelException {
        try (DataInputStream in =
                new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            loadParameters(manager, in);
        }
    }

    /**
     * Adds a parameter of a known shape.
     *
     * @param name the parameter's name, as in the reference state dict
     * @param type the DJL parameter type (weight, bias, gamma, ...)
     * @param shape the parameter's shape
     * @param init how its values start
     * @return the parameter
     */
    protected final Parameter param(
            String name, Parameter.Type type, Shape shape, Initializer init) {
        return addParameter(
                Parameter.builder()
                        .setName(name)
                        .setType(type)
                        .optShape(shape)
                        .optInitializer(init)
                        .build());
    }

    /**
     * Adds a child block under the reference's module name.
     *
     * @param name the child's name
     * @param block the child
     * @param <B> the child's type
     * @return the child
     */
    protected final <B extends Block> B child(String name, B block) {
        namedChildren.put(name, block);
        return addChildBlock(name, block);
    }

    /**
     * Returns every parameter of this module and its children by its dotted reference name.
     *
     * @return an insertion-ordered map from dotted name to parameter
     */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", this, out);
        return out;
    }

    private static void collect(String prefix, Block block, Map<String, Parameter> out) {
        for (Parameter p : block.getDirectParameters().values()) {
            out.put(prefix + p.getName(), p);
        }
        if (block instanceof Module m) {
            for (Map.Entry<String, Block> e : m.namedChildren.entrySet()) {
                collect(prefix + e.getKey() + ".", e.getValue(), out);
            }
        } else if (!block.getChildren().isEmpty()) {
            throw new IllegalStateException(
                    "child blocks of " + block.getClass().getSimpleName() + " have no names");
        }
    }

    /**
     * Returns the total number of scalar values in this module's parameters.
     *
     * @return the parameter count
     */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            n += p.getShape().size();
        }
        return n;
    }

    /**
     * Reads a parameter's value for the input's device.
     *
     * @param ps the parameter store
     * @param p the parameter
     * @param like an array on the device to compute on
     * @param training whether this is a training pass
     * @return the parameter's array
     */
    protected static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
        return ps.getValue(p, like.getDevice(), training);
    }

    /**
     * Moves a result computed from a parameter to the manager of the computation, so it is freed
     * with the step's other temporaries instead of living as long as the parameter.
     *
     * @param a an array derived from a parameter
     * @param like an array of the computation
     * @return {@code a}, now owned by {@code like}'s manager
     */
    protected static NDArray local(NDArray a, NDArray like) {
        a.attach(like.getManager());
        return a;
    }

    @Override
    protected void initializeChildBlocks(
            NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block b : getChildren().values()) {
            b.initialize(manager, dataType, inputShapes);
        }
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(
                getClass().getSimpleName() + " has typed forward methods; call them directly");
    }
}
