// Quickstart: the tiny VLMo pretrained through all three stages on the built-in synthetic world
// (scenes of coloured shapes with captions), then zero-shot image-text retrieval on held-out
// scenes. The README reports its numbers.
//
// Data: none; the built-in world is generated on the fly.
// Run:  ./vlmo quickstart          (= ./vlmo run recipes/quickstart.jsh; a few minutes on a CPU)
//       ./vlmo run recipes/quickstart.jsh --smoke   (a few steps, to check the recipe)

var world = builtIn();

var vlmo = Vlmo.tiny()
        .stage(vision().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10)
                .gradientClipping(1.0))
        .stage(text().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10)
                .gradientClipping(1.0))
        .stage(visionLanguage().data(world).steps(400).batchSize(64).learningRate(1e-3).warmup(40)
                .gradientClipping(1.0));

System.out.println(vlmo.describe().printAll());

try (var run = vlmo.run(runtime(on(cpu()).logEvery(25)))) {
    System.out.println(run.retrievalTable(world).printAll());
    System.out.println("run directory: " + run.runDir());
}
