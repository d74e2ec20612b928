package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.builtIn;
import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.vlmo.model.Engines;
import dev.vlmo.model.VlmoConfig;
import dev.vlmo.model.VlmoModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tech.tablesaw.api.Row;
import tech.tablesaw.api.Table;

/** Shared small descriptions and helpers of the DSL tests. */
public final class Fixtures {

    private Fixtures() {}

    /** A shrunken world: 64 training scenes (5 captions each), 16 per evaluation split. */
    public static final DataRef.BuiltIn WORLD = builtIn().scenes(64, 16);

    /**
     * The tiny preset shrunk further: D=32, 2 layers, 2 heads, the top layer vision-language.
     *
     * @return the description without stages
     */
    public static Vlmo tiny() {
        return Vlmo.tiny().model(Fixtures::shrink);
    }

    /**
     * {@link #tiny()} with two vision-language steps of batch 8 on {@link #WORLD}: the pretrained
     * model fine-tuning tests start from.
     *
     * @return the description
     */
    public static Vlmo pretrainedTiny() {
        return tiny().stage(
                        Dsl.visionLanguage()
                                .data(WORLD)
                                .steps(2)
                                .batchSize(8)
                                .learningRate(1e-3)
                                .warmup(0));
    }

    /**
     * Shrinks a configuration the way {@link #tiny()} does.
     *
     * @param c the configuration
     * @return D=32, 2 layers, 2 heads, 1 VL layer, the reference's initialisation scale
     */
    public static VlmoConfig shrink(VlmoConfig c) {
        return c.withLayers(2).withVlLayers(1).withHidden(32).withHeads(2).withInitStd(0.02);
    }

    /**
     * A quiet CPU runtime writing to a directory.
     *
     * @param dir the run directory
     * @return the runtime
     */
    public static Runtime quiet(Path dir) {
        return on(cpu()).quiet().runDir(dir);
    }

    /**
     * Reads a numeric column of the metrics as doubles, NaN where empty.
     *
     * @param t the metrics table
     * @param column the column's name
     * @return one value per row
     */
    public static double[] column(Table t, String column) {
        double[] out = new double[t.rowCount()];
        for (int i = 0; i < out.length; i++) {
            Row r = t.row(i);
            out[i] = r.isMissing(column) ? Double.NaN : r.getNumber(column);
        }
        return out;
    }

    /**
     * Copies every parameter of a model into Java arrays.
     *
     * @param model the model
     * @return values by reference name
     */
    public static Map<String, float[]> snapshot(VlmoModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : model.namedParameters().entrySet()) {
            NDArray a = e.getValue().getArray();
            out.put(e.getKey(), a.toFloatArray());
        }
        return out;
    }

    /**
     * Loads the parameters of a checkpoint written by a run.
     *
     * @param plan the plan that wrote it
     * @param checkpointDir {@code checkpoints/stage-S-step-N}
     * @return values by reference name
     */
    public static Map<String, float[]> loadCheckpoint(Plan plan, Path checkpointDir) {
        try (NDManager m = Engines.newManager(null)) {
            VlmoModel model = new VlmoModel(plan.model()).initialize(m);
            model.load(checkpointDir.resolve("model.params"), m);
            return snapshot(model);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The largest absolute difference between two parameter snapshots.
     *
     * @param a one snapshot
     * @param b another of the same model
     * @return the maximum over all values
     */
    public static double maxDifference(Map<String, float[]> a, Map<String, float[]> b) {
        double max = 0;
        for (Map.Entry<String, float[]> e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
                max = Math.max(max, Math.abs(x[i] - y[i]));
            }
        }
        return max;
    }

    /**
     * The Euclidean distance between two parameter snapshots, all tensors together.
     *
     * @param a one snapshot
     * @param b another of the same model
     * @return the L2 norm of the difference
     */
    public static double distance(Map<String, float[]> a, Map<String, float[]> b) {
        double sum = 0;
        for (Map.Entry<String, float[]> e : a.entrySet()) {
            float[] x = e.getValue();
            float[] y = b.get(e.getKey());
            for (int i = 0; i < x.length; i++) {
                sum += (x[i] - y[i]) * (double) (x[i] - y[i]);
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * A vision stage of 2 steps and a vision-language stage of 4 (batch 8, drop path 0.1 in the
     * second), each writing a checkpoint every 2 steps: a run short enough to kill and resume.
     *
     * @return the description
     */
    public static Vlmo twoStages() {
        return tiny().stage(
                        Dsl.vision()
                                .data(WORLD)
                                .steps(2)
                                .batchSize(8)
                                .learningRate(1e-3)
                                .warmup(1)
                                .checkpointEvery(2))
                .stage(
                        Dsl.visionLanguage()
                                .data(WORLD)
                                .steps(4)
                                .batchSize(8)
                                .learningRate(1e-3)
                                .warmup(2)
                                .dropPath(0.1)
                                .checkpointEvery(2));
    }

    /**
     * The names whose values differ at all between two snapshots.
     *
     * @param a one snapshot
     * @param b another of the same model
     * @return the names
     */
    public static List<String> changed(Map<String, float[]> a, Map<String, float[]> b) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, float[]> e : a.entrySet()) {
            if (!java.util.Arrays.equals(e.getValue(), b.get(e.getKey()))) {
                out.add(e.getKey());
            }
        }
        return out;
    }
}
