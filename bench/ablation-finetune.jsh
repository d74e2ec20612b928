// Ablation (b) measured as the paper measures it: each pretrained model of bench/ablation.jsh
// fine-tuned on downstream tasks (NLVR2 and image-text retrieval by default), with the tiny
// preset's fine-tuning defaults, and scored on held-out test scenes (bench/ABLATION.md, "(b)
// fine-tuned"). It reads the run directories bench/ablation.jsh kept, so run that first with the
// same settings; each fine-tune appends one row to the results file.
//
// Run:  ABLATION_PAIR_SCENES=250 ABLATION_UNIMODAL_SCENES=8000 ABLATION_VARIANTS=multiway,vlOnly \
//         ABLATION_SEEDS=0,1,2,3,4,5 ./vlmo run bench/ablation.jsh      (the pretrained models)
//       ABLATION_PAIR_SCENES=250 ABLATION_UNIMODAL_SCENES=8000 ABLATION_VARIANTS=multiway,vlOnly \
//         ABLATION_SEEDS=0,1,2,3,4,5 \
//         ABLATION_RESULTS=bench/ablation/results-scarce-6seeds-finetune.csv \
//         ./vlmo run bench/ablation-finetune.jsh
// ABLATION_TASKS picks tasks among nlvr2, retrieval, vqa, classification, linearProbe.

String setting(String key, String env, String fallback) {
    String v = System.getProperty(key);
    if (v == null) v = System.getenv(env);
    return v == null || v.isBlank() ? fallback : v.trim();
}

var variants = List.of(setting("ablation.variants", "ABLATION_VARIANTS", "multiway,vlOnly").split(","));
var seeds = Arrays.stream(setting("ablation.seeds", "ABLATION_SEEDS", "0,1").split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
var tasks = List.of(setting("ablation.tasks", "ABLATION_TASKS", "nlvr2,retrieval").split(","));
int vlSteps = Integer.parseInt(setting("ablation.vlSteps", "ABLATION_VL_STEPS", "400"));
int preSteps = Integer.parseInt(setting("ablation.preSteps", "ABLATION_PRE_STEPS", "100"));
int pairScenes = Integer.parseInt(setting("ablation.pairScenes", "ABLATION_PAIR_SCENES", "2000"));
int unimodalScenes = Integer.parseInt(setting("ablation.unimodalScenes", "ABLATION_UNIMODAL_SCENES", "2000"));
// fine-tuned and evaluated on the world bench/ablation.jsh evaluates on: the unimodal one
var world = unimodalScenes == 2000 ? builtIn() : builtIn().scenes(unimodalScenes, 200);
var runs = setting("ablation.runs", "ABLATION_RUNS", "target/ablation");
var results = Path.of(setting("ablation.results", "ABLATION_RESULTS", "bench/ablation/results-finetune.csv"));

Finetune task(String name) {
    if (name.equals("nlvr2")) return nlvr2();
    if (name.equals("retrieval")) return retrieval();
    if (name.equals("vqa")) return vqa();
    if (name.equals("classification")) return classification();
    if (name.equals("linearProbe")) return linearProbe();
    throw new IllegalArgumentException("unknown task '" + name
            + "': choose among nlvr2, retrieval, vqa, classification, linearProbe");
}

if (!Files.exists(results)) {
    Files.createDirectories(results.getParent());
    Files.writeString(results, "variant,seed,pre_steps,vl_steps,task,metric,value,seconds\n");
}

for (String variant : variants) {
    for (long seed : seeds) {
        var dir = Path.of(runs, variant.trim() + "-s" + seed + "-pre" + preSteps + "-vl" + vlSteps
                + (pairScenes == 2000 && unimodalScenes == 2000 ? "" : "-pairs" + pairScenes + "-uni" + unimodalScenes));
        var ckpt = dir.resolve("checkpoints/stage-" + (variant.trim().equals("vlOnly") ? 1 : 3)
                + "-step-" + vlSteps + "/model.params");
        if (!Files.isRegularFile(ckpt)) {
            System.out.println("skipped " + variant.trim() + " seed " + seed + ": no pretrained model at " + ckpt
                    + " (run bench/ablation.jsh with the same settings first)");
            continue;
        }
        for (String name : tasks) {
            long t0 = System.nanoTime();
            try (var ft = Vlmo.tiny().startFrom(ckpt).finetune(task(name.trim()).data(world),
                    runtime(on(cpu()).logEvery(100).runDir(dir)))) {
                var eval = ft.evaluation();
                double seconds = (System.nanoTime() - t0) / 1e9;
                for (int r = 0; r < eval.rowCount(); r++) {
                    if (!eval.stringColumn("kind").get(r).equals("fine-tuned")) continue;
                    String row = String.format(Locale.ROOT, "%s,%d,%d,%d,%s,%s,%.2f,%.0f%n", variant.trim(), seed,
                            preSteps, vlSteps, name.trim(), eval.stringColumn("metric").get(r),
                            eval.doubleColumn("value %").get(r), seconds);
                    System.out.print("finetune row: " + row);
                    Files.writeString(results, row, StandardOpenOption.APPEND);
                }
            }
        }
    }
}

Table all = Table.read().csv(results.toFile());
System.out.println(all.summarize(List.of("value"), tech.tablesaw.aggregate.AggregateFunctions.mean,
        tech.tablesaw.aggregate.AggregateFunctions.stdDev).by("task", "metric", "variant", "pre_steps", "vl_steps").printAll());
