// Why stages 1 and 2 give zero-shot retrieval no head start on the built-in world
// (bench/ABLATION.md, "What stages 1 and 2 leave in the [CLS] vectors"): the dual encoder
// retrieves with the [CLS] vectors, and masked image modelling and masked language modelling
// put no loss on [CLS]. This prints, for the checkpoints bench/ablation.jsh kept, how alike the
// retrieval embeddings of 64 held-out images (and of their first captions) are: the mean cosine
// similarity over all pairs (1 = every input gets the same vector, 0 = unrelated vectors), and
// zero-shot R@1 on those 64.
//
// Run:  ABLATION_PAIR_SCENES=250 ABLATION_UNIMODAL_SCENES=8000 ABLATION_SEEDS=0 \
//         ./vlmo run bench/ablation-cls.jsh          (after bench/ablation.jsh with those settings)

String setting(String key, String env, String fallback) {
    String v = System.getProperty(key);
    if (v == null) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

var seeds = Arrays.stream(setting("ablation.seeds", "ABLATION_SEEDS", "0").split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
int vlSteps = Integer.parseInt(setting("ablation.vlSteps", "ABLATION_VL_STEPS", "400"));
int preSteps = Integer.parseInt(setting("ablation.preSteps", "ABLATION_PRE_STEPS", "100"));
int pairScenes = Integer.parseInt(setting("ablation.pairScenes", "ABLATION_PAIR_SCENES", "2000"));
int unimodalScenes = Integer.parseInt(setting("ablation.unimodalScenes", "ABLATION_UNIMODAL_SCENES", "2000"));
var world = unimodalScenes == 2000 ? builtIn() : builtIn().scenes(unimodalScenes, 200);
var runs = setting("ablation.runs", "ABLATION_RUNS", "target/ablation");
String suffix = pairScenes == 2000 && unimodalScenes == 2000 ? "" : "-pairs" + pairScenes + "-uni" + unimodalScenes;

var config = Vlmo.tiny().stage(visionLanguage().data(world)).compile(on(cpu())).model();
var tokenizer = new dev.vlmo.datasets.text.WordPieceTokenizer(
        dev.vlmo.datasets.synthetic.SyntheticWorld.lexiconVocabulary());
var split = dev.vlmo.datasets.synthetic.SyntheticWorld.Split.TEST;
var w = world.world(config.imageSize());
var images = new ArrayList<dev.vlmo.datasets.ImageRef>();
var captions = new ArrayList<String>();
for (int i = 0; i < 64; i++) {
    images.add(w.image(split, i));
    captions.add(w.captionsOf(split, i).get(0));
}

double meanCosine(float[][] v) {
    double s = 0;
    int n = 0;
    for (int i = 0; i < v.length; i++) {
        for (int j = i + 1; j < v.length; j++) {
            double d = 0;
            for (int k = 0; k < v[i].length; k++) d += v[i][k] * v[j][k];
            s += d;
            n++;
        }
    }
    return s / n;
}

var table = Table.create("[CLS] retrieval embeddings of 64 held-out scenes",
        StringColumn.create("model"), DoubleColumn.create("image-image cosine"),
        DoubleColumn.create("text-text cosine"), DoubleColumn.create("TR@1 of 64"), DoubleColumn.create("IR@1 of 64"));

void measure(String name, dev.vlmo.dsl.infer.Predictor p) {
    float[][] iv = p.embedImages(images);
    float[][] tv = p.embedTexts(captions);
    int[] owner = java.util.stream.IntStream.range(0, 64).toArray();
    var r = dev.vlmo.dsl.eval.Retrieval.recall(dev.vlmo.dsl.eval.Retrieval.similarity(iv, tv), 64, 64, owner);
    table.stringColumn("model").append(name);
    table.doubleColumn("image-image cosine").append(Math.round(meanCosine(iv) * 1e4) / 1e4);
    table.doubleColumn("text-text cosine").append(Math.round(meanCosine(tv) * 1e4) / 1e4);
    table.doubleColumn("TR@1 of 64").append(Math.round(1000 * r.textR1()) / 10.0);
    table.doubleColumn("IR@1 of 64").append(Math.round(1000 * r.imageR1()) / 10.0);
}

for (long seed : seeds) {
    try (var m = dev.vlmo.model.Engines.newManager(null)) {
        ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed);
        var fresh = new dev.vlmo.model.VlmoModel(config).initialize(m);
        measure("random initialisation (seed " + seed + ")",
                new dev.vlmo.dsl.infer.Predictor(fresh, m, false, tokenizer, config.maxTextLen(), null, null, null));
    }
    var multiway = Path.of(runs, "multiway-s" + seed + "-pre" + preSteps + "-vl" + vlSteps + suffix, "checkpoints");
    var vlOnly = Path.of(runs, "vlOnly-s" + seed + "-pre" + preSteps + "-vl" + vlSteps + suffix, "checkpoints");
    var checkpoints = new LinkedHashMap<String, Path>();
    checkpoints.put("after stage 1 (MIM, " + preSteps + " steps)", multiway.resolve("stage-1-step-" + preSteps));
    checkpoints.put("after stage 2 (MLM, " + preSteps + " steps)", multiway.resolve("stage-2-step-" + preSteps));
    checkpoints.put("after stage 3 (VL, " + vlSteps + " steps)", multiway.resolve("stage-3-step-" + vlSteps));
    checkpoints.put("VL stage only (" + vlSteps + " steps)", vlOnly.resolve("stage-1-step-" + vlSteps));
    for (var e : checkpoints.entrySet()) {
        var file = e.getValue().resolve("model.params");
        if (!Files.isRegularFile(file)) {
            System.out.println("skipped (no " + file + ": run bench/ablation.jsh with the same settings)");
            continue;
        }
        try (var p = dev.vlmo.dsl.infer.Predictor.load(file, config, tokenizer, null)) {
            measure(e.getKey() + ", seed " + seed, p);
        }
    }
}
System.out.println(table.printAll());
