// Ablation study on the built-in world (issue 5; results and reading in bench/ABLATION.md).
// The tiny preset trained as in recipes/quickstart.jsh (100 MIM + 100 MLM + 400 VL steps, batch
// 64, lr 1e-3) in four variants, each evaluated zero-shot on the 200 held-out test scenes:
//
//   multiway   the quickstart: Multiway Transformer, three stages, hard ITM negatives
//   shared     a standard Transformer of the same size: one FFN per block (withSharedFfn)
//   vlOnly     Multiway, no stages 1 and 2: the vision-language stage alone, same VL steps
//   random     Multiway, three stages, ITM negatives drawn uniformly instead of by ITC similarity
//
// Run:  ./vlmo run bench/ablation.jsh                       (every variant, seeds 0 and 1)
//       ABLATION_PRE_STEPS=50 ABLATION_VL_STEPS=150 ...       (shorter stages: what ABLATION.md ran)
//       ABLATION_VARIANTS=shared,random ABLATION_SEEDS=0 ./vlmo run bench/ablation.jsh
//       ABLATION_VL_STEPS=1600 ABLATION_VARIANTS=multiway ./vlmo run bench/ablation.jsh
//       ABLATION_PAIR_SCENES=250 ABLATION_UNIMODAL_SCENES=8000 ABLATION_VARIANTS=multiway,vlOnly \
//         ABLATION_RESULTS=bench/ablation/results-scarce.csv ./vlmo run bench/ablation.jsh
// (the same keys work as -Dablation.variants=..., -Dablation.seeds=..., -Dablation.vlSteps=...)
// Each run appends one row to bench/ablation/results.csv (created with a header if absent) and
// keeps its run directory (metrics.csv per step) under target/ablation/. At the end the rows of
// results.csv are printed as a table of means per variant.

String setting(String key, String env, String fallback) {
    String v = System.getProperty(key);
    if (v == null) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

var variants = List.of(setting("ablation.variants", "ABLATION_VARIANTS", "multiway,shared,vlOnly,random").split(","));
var seeds = Arrays.stream(setting("ablation.seeds", "ABLATION_SEEDS", "0,1").split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
int vlSteps = Integer.parseInt(setting("ablation.vlSteps", "ABLATION_VL_STEPS", "400"));
int preSteps = Integer.parseInt(setting("ablation.preSteps", "ABLATION_PRE_STEPS", "100"));
var world = builtIn();
// Scarce pairs (the paper's premise: image-only and text-only data are far more plentiful than
// image-text pairs): ABLATION_PAIR_SCENES=250 gives the vision-language stage 250 training scenes
// (5 captions each) and ABLATION_UNIMODAL_SCENES=8000 gives stages 1 and 2 8000 scenes' images
// and the text corpus. Every run is evaluated on the unimodal world's 200 test scenes: a world
// assigns scenes to splits by a hash threshold that depends on its sizes, and the 8000-scene
// world's test scenes lie below every threshold, so no training split of either world holds them.
int pairScenes = Integer.parseInt(setting("ablation.pairScenes", "ABLATION_PAIR_SCENES", "2000"));
int unimodalScenes = Integer.parseInt(setting("ablation.unimodalScenes", "ABLATION_UNIMODAL_SCENES", "2000"));
var pairs = pairScenes == 2000 ? world : builtIn().scenes(pairScenes, 200);
var unimodal = unimodalScenes == 2000 ? world : builtIn().scenes(unimodalScenes, 200);
var evalWorld = unimodal;
var results = Path.of(setting("ablation.results", "ABLATION_RESULTS", "bench/ablation/results.csv"));

Vlmo describe(String variant, long seed) {
    Stage vis = vision().data(unimodal).steps(preSteps).batchSize(64).learningRate(1e-3).warmup(10)
            .gradientClipping(1.0).seed(seed);
    Stage txt = text().data(unimodal).steps(preSteps).batchSize(64).learningRate(1e-3).warmup(10)
            .gradientClipping(1.0).seed(seed);
    Stage vl = visionLanguage().data(pairs).steps(vlSteps).batchSize(64).learningRate(1e-3)
            .warmup(vlSteps / 10).gradientClipping(1.0).seed(seed);
    // (if/else rather than a switch expression: JShell's snippet analysis mis-reads arrows here)
    if (variant.equals("multiway")) return Vlmo.tiny().stage(vis).stage(txt).stage(vl);
    if (variant.equals("shared")) return Vlmo.tiny().model(c -> c.withSharedFfn(true)).stage(vis).stage(txt).stage(vl);
    if (variant.equals("vlOnly")) return Vlmo.tiny().stage(vl);
    if (variant.equals("random")) return Vlmo.tiny().stage(vis).stage(txt).stage(vl.itm(ItmNegatives.RANDOM));
    // a diagnostic, not an ablation: ITM alone (random negatives), to see whether the head can learn
    if (variant.equals("itmOnly")) return Vlmo.tiny().stage(vl.itc(false).vlItc(false).mlmProbability(0).itm(ItmNegatives.RANDOM));
    throw new IllegalArgumentException("unknown variant '" + variant
            + "': choose among multiway, shared, vlOnly, random, itmOnly");
}

// metrics.csv as rows of strings (stage,kind,step,loss,itc,itm,mlm,mim,grad_norm,...)
List<String[]> metrics(Path runDir) throws IOException {
    var lines = Files.readAllLines(runDir.resolve("metrics.csv"));
    var out = new ArrayList<String[]>();
    for (String l : lines.subList(1, lines.size())) out.add(l.split(",", -1));
    return out;
}

int column(String name) {
    return List.of("stage", "kind", "step", "loss", "itc", "itm", "mlm", "mim", "grad_norm").indexOf(name);
}

// mean of a loss over the last `last` steps of the vision-language stage, skipped steps aside
double tail(List<String[]> m, String col, int last) {
    var vl = m.stream().filter(r -> r[1].equals("visionLanguage")).toList();
    double sum = 0; int k = 0;
    for (int i = Math.max(0, vl.size() - last); i < vl.size(); i++) {
        String v = vl.get(i)[column(col)];
        if (!v.isEmpty() && Double.isFinite(Double.parseDouble(v))
                && Double.isFinite(Double.parseDouble(vl.get(i)[column("grad_norm")]))) {
            sum += Double.parseDouble(v); k++;
        }
    }
    return k == 0 ? Double.NaN : sum / k;
}

// steps whose update the engine skipped because the gradient norm was not finite, per stage
String skippedSteps(List<String[]> m) {
    var perStage = new TreeMap<String, Integer>();
    for (String[] r : m) {
        perStage.merge(r[1], Double.isFinite(Double.parseDouble(r[column("grad_norm")])) ? 0 : 1, Integer::sum);
    }
    return perStage.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
            .collect(Collectors.joining(" "));
}

if (!Files.exists(results)) {
    Files.createDirectories(results.getParent());
    Files.writeString(results, "variant,seed,pre_steps,vl_steps,TR1,TR5,TR10,IR1,IR5,IR10,itc_last50,itm_last50,mlm_last50,"
            + "itm_acc,itm_rank_random,itm_rank_hard,skipped_steps,params,minutes\n");
}

for (String variant : variants) {
    for (long seed : seeds) {
        var vlmo = describe(variant.trim(), seed);
        var dir = Path.of(setting("ablation.runs", "ABLATION_RUNS", "target/ablation") + "/" + variant.trim() + "-s" + seed + "-pre" + preSteps + "-vl" + vlSteps
                + (pairScenes == 2000 && unimodalScenes == 2000 ? "" : "-pairs" + pairScenes + "-uni" + unimodalScenes));
        long t0 = System.nanoTime();
        try (var run = vlmo.run(runtime(on(cpu()).logEvery(50).runDir(dir)))) {
            double minutes = (System.nanoTime() - t0) / 6e10;
            var r = run.retrieval(evalWorld, dev.vlmo.datasets.synthetic.SyntheticWorld.Split.TEST);
            var itm = run.matching(evalWorld, dev.vlmo.datasets.synthetic.SyntheticWorld.Split.TEST);
            var m = metrics(run.runDir());
            String row = String.format(Locale.ROOT,
                    "%s,%d,%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.4f,%.4f,%.4f,%.3f,%.3f,%.3f,%s,%d,%.1f%n",
                    variant.trim(), seed, preSteps, vlSteps,
                    100 * r.textR1(), 100 * r.textR5(), 100 * r.textR10(),
                    100 * r.imageR1(), 100 * r.imageR5(), 100 * r.imageR10(),
                    tail(m, "itc", 50), tail(m, "itm", 50), tail(m, "mlm", 50),
                    itm.accuracy(), itm.randomRanking(), itm.hardRanking(),
                    skippedSteps(m), run.model().parameterCount(), minutes);
            System.out.print("ablation row: " + row);
            Files.writeString(results, row, StandardOpenOption.APPEND);
        }
    }
}

Table all = Table.read().csv(results.toFile());
System.out.println(all.printAll());
System.out.println(all.summarize(List.of("TR1", "TR5", "TR10", "IR1", "IR5", "IR10", "itm_last50", "itm_acc", "itm_rank_random", "itm_rank_hard"),
        tech.tablesaw.aggregate.AggregateFunctions.mean).by("variant", "pre_steps", "vl_steps").printAll());
