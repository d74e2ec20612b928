// How much the VQA score on the built-in world moves with the fine-tune's seed alone: the
// pretraining of recipes/finetune-builtin.jsh (the quickstart's stages with 1600 vision-language
// steps), then VQA fine-tuned with the tiny defaults and seeds 1 (the default), 2 and 3, each from
// the same pretrained weights; prints the score overall and per question type for each seed
// (README, "Fine-tuning"). Seed 1 repeats the recipe's VQA row to the last digit.
//
// Run:  ./vlmo run bench/vqa-seeds.jsh     (about 21 minutes on a 2-core CPU)

var world = builtIn();
var vlmo = Vlmo.tiny()
        .stage(vision().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(text().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(visionLanguage().data(world).steps(1600).batchSize(64).learningRate(1e-3).warmup(160).gradientClipping(1.0));
var table = Table.create("VQA by fine-tune seed (held-out questions, %)",
        IntColumn.create("seed"), DoubleColumn.create("VQA score"), DoubleColumn.create("colour"),
        DoubleColumn.create("count"), DoubleColumn.create("yes/no"), DoubleColumn.create("shape"),
        DoubleColumn.create("position"));
try (var run = vlmo.run(runtime(on(cpu()).logEvery(500)))) {
    for (int seed : new int[] {1, 2, 3}) {
        try (var ft = run.finetune(vqa().seed(seed))) {
            var byType = ft.byQuestionType();
            java.util.function.Function<String, Double> type = name -> {
                for (int r = 0; r < byType.rowCount(); r++) {
                    if (byType.stringColumn("question type").get(r).equals(name)) {
                        return byType.doubleColumn("fine-tuned").get(r);
                    }
                }
                return Double.NaN;
            };
            table.intColumn("seed").append(seed);
            table.doubleColumn("VQA score").append(ft.metric("VQA score (reference)"));
            table.doubleColumn("colour").append(type.apply("color"));
            table.doubleColumn("count").append(type.apply("count"));
            table.doubleColumn("yes/no").append(type.apply("yes_no"));
            table.doubleColumn("shape").append(type.apply("shape"));
            table.doubleColumn("position").append(type.apply("position"));
        }
    }
}
System.out.println(table.printAll());
