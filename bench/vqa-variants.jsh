// VQA fine-tuning variants on the built-in world (README, "Fine-tuning"): the quickstart's
// pretraining (400 vision-language steps), then VQA fine-tuned from the same weights with
// the tiny defaults and with one change each; prints the VQA score of every variant.
//
// Run:  ./vlmo run bench/vqa-variants.jsh     (about 30 minutes on a 2-core CPU)

var world = builtIn();
var vlmo = Vlmo.tiny()
        .stage(vision().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(text().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(visionLanguage().data(world).steps(400).batchSize(64).learningRate(1e-3).warmup(40).gradientClipping(1.0));

var variants = new LinkedHashMap<String, Finetune>();
variants.put("defaults (lr 1e-3, drop path 0.1, 1500 steps, 32 px)", vqa());
variants.put("learning rate 3e-4", vqa().learningRate(3e-4));
variants.put("no drop path", vqa().dropPath(0));
variants.put("4x the training scenes (and questions)", vqa().data(builtIn().scenes(8000, 200)));
variants.put("64-pixel images, 800 steps", vqa().imageSize(64).steps(800));
variants.put("6000 steps (four times the default)", vqa().steps(6000));

var table = Table.create("VQA fine-tuning variants (held-out questions, %)",
        StringColumn.create("variant"), DoubleColumn.create("VQA score"),
        DoubleColumn.create("majority per type"), DoubleColumn.create("seconds"));
try (var run = vlmo.run(runtime(on(cpu()).logEvery(100)))) {
    for (var e : variants.entrySet()) {
        long t0 = System.nanoTime();
        try (var ft = run.finetune(e.getValue())) {
            table.stringColumn("variant").append(e.getKey());
            table.doubleColumn("VQA score").append(ft.metric("VQA score (reference)"));
            table.doubleColumn("majority per type").append(ft.metric("majority answer per question type"));
            table.doubleColumn("seconds").append(Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
        }
    }
}
System.out.println(table.printAll());
