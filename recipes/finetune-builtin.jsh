// The tiny VLMo pretrained on the built-in world (the quickstart's stages with a four times longer
// vision-language stage: 1600 steps), then fine-tuned on the world's four downstream tasks with the
// tiny preset's defaults, each from the same pretrained weights and evaluated on held-out test
// scenes against its chance and majority baselines. The README's fine-tuning table comes from
// this recipe. VQA needs the longer pretraining: from the quickstart's 400 vision-language steps
// it lands within a few points of the majority baseline (README, "Fine-tuning").
//
// Data: none; the built-in world is generated on the fly.
// Run:  ./vlmo run recipes/finetune-builtin.jsh           (about 17 minutes on a 2-core CPU)
//       ./vlmo run recipes/finetune-builtin.jsh --smoke   (a few steps, to check the recipe)

var world = builtIn();

var vlmo = Vlmo.tiny()
        .stage(vision().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10)
                .gradientClipping(1.0))
        .stage(text().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10)
                .gradientClipping(1.0))
        .stage(visionLanguage().data(world).steps(1600).batchSize(64).learningRate(1e-3).warmup(160)
                .gradientClipping(1.0));

var results = Table.create("fine-tuned on the built-in world (held-out test scenes, %)",
        StringColumn.create("task"), StringColumn.create("metric"), DoubleColumn.create("fine-tuned"),
        StringColumn.create("baselines"), DoubleColumn.create("seconds"));

try (var run = vlmo.run(runtime(on(cpu()).logEvery(200)))) {
    System.out.println(run.retrievalTable(world).printAll());
    for (var task : List.of(vqa(), nlvr2(), retrieval(), classification(), linearProbe())) {
        long start = System.nanoTime();
        try (var ft = run.finetune(task)) {
            var eval = ft.evaluation();
            var base = new StringBuilder();
            for (int r = 0; r < eval.rowCount(); r++) {
                if (eval.stringColumn("kind").get(r).equals("baseline")) {
                    base.append(base.length() > 0 ? "; " : "").append(eval.stringColumn("metric").get(r))
                            .append(" ").append(eval.doubleColumn("value %").get(r));
                }
            }
            String metric = eval.stringColumn("metric").get(0);
            results.stringColumn("task").append(task.name());
            results.stringColumn("metric").append(metric);
            results.doubleColumn("fine-tuned").append(ft.metric(metric));
            results.stringColumn("baselines").append(base.toString());
            results.doubleColumn("seconds").append(Math.round((System.nanoTime() - start) / 1e8) / 10.0);
            if (task.name().equals("retrieval")) {
                System.out.println(eval.printAll());
            }
            if (task.name().equals("vqa")) {
                System.out.println(ft.byQuestionType().printAll());
            }
        }
    }
    System.out.println(results.printAll());
    System.out.println("run directory: " + run.runDir());
}
