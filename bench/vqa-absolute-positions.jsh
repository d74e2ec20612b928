// VQA on the built-in world with absolute position embeddings (VlmoConfig.Positions.ABSOLUTE, as
// the reference's base_plus) instead of the tiny preset's relative position bias, pretrained as
// the quickstart does and fine-tuned with the VQA defaults: does knowing absolute positions let
// the model answer "where is the ...?" questions? Prints zero-shot retrieval, the VQA evaluation and the
// score per question type (README, "Fine-tuning").
//
// Run:  ./vlmo run bench/vqa-absolute-positions.jsh     (about 6 minutes on a 2-core CPU)

var world = builtIn();
var vlmo = Vlmo.tiny().model(c -> c.withPositions(VlmoConfig.Positions.ABSOLUTE))
        .stage(vision().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(text().data(world).steps(100).batchSize(64).learningRate(1e-3).warmup(10).gradientClipping(1.0))
        .stage(visionLanguage().data(world).steps(400).batchSize(64).learningRate(1e-3).warmup(40).gradientClipping(1.0));
try (var run = vlmo.run(runtime(on(cpu()).logEvery(100)))) {
    System.out.println(run.retrievalTable(world).printAll());
    try (var ft = run.finetune(vqa())) {
        System.out.println(ft.evaluation().printAll());
        System.out.println(ft.byQuestionType().printAll());
    }
}
