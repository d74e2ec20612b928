package dev.vlmo.dsl;

import static dev.vlmo.dsl.Dsl.builtIn;
import static dev.vlmo.dsl.Dsl.cpu;
import static dev.vlmo.dsl.Dsl.on;
import static dev.vlmo.dsl.Dsl.text;
import static dev.vlmo.dsl.Dsl.vision;
import static dev.vlmo.dsl.Dsl.visionLanguage;

import tech.tablesaw.api.Table;

/**
 * The main job on the embedded default: the tiny preset pretrained through all three stages on the
 * built-in world, then evaluated zero-shot on held-out retrieval (the same description as {@code
 * recipes/quickstart.jsh}).
 */
public final class Quickstart {

    private Quickstart() {}

    /**
     * Returns the quickstart's description.
     *
     * @return the description
     */
    public static Vlmo description() {
        DataRef world = builtIn();
        return Vlmo.tiny()
                .stage(vision().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10))
                .stage(text().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10))
                .stage(
                        visionLanguage()
                                .data(world)
                                .steps(300)
                                .batchSize(64)
                                .learningRate(1e-3)
                                .warmup(30));
    }

    /**
     * Runs the quickstart and prints the plan, the last losses and the retrieval table.
     *
     * @param args an optional run directory
     */
    public static void main(String[] args) {
        Vlmo v = description();
        System.out.println(v.describe().printAll());
        Runtime rt = on(cpu()).logEvery(25);
        if (args.length > 0) {
            rt = rt.runDir(java.nio.file.Path.of(args[0]));
        }
        try (Run run = v.run(rt)) {
            Table t = run.retrievalTable(builtIn());
            System.out.println(t.printAll());
            System.out.println("run directory: " + run.runDir());
        }
    }
}
