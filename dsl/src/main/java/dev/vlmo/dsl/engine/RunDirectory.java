package dev.vlmo.dsl.engine;

import dev.vlmo.dsl.Plan;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The files of a run: {@code plan.txt} (the description and the model it builds), {@code
 * metrics.csv} (one row per step), and {@code checkpoints/stage-S-step-N/} holding {@code
 * model.params}, {@code optimizer.bin} and {@code state.properties}. A checkpoint is written to a
 * temporary folder and renamed, so a crash never leaves half a checkpoint.
 */
final class RunDirectory implements AutoCloseable {

    static final String HEADER =
            "stage,kind,step,loss,itc,itm,mlm,mim,grad_norm,lr,samples_per_s,seconds";

    private static final int COLUMNS = HEADER.split(",").length;

    private final Path dir;
    private java.nio.channels.FileChannel lockFile;
    private java.nio.channels.FileLock lock;

    RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** Releases the run directory's lock (see {@link #open}). */
    @Override
    public void close() throws IOException {
        if (lock != null) {
            lock.release();
            lock = null;
        }
        if (lockFile != null) {
            lockFile.close();
            lockFile = null;
        }
    }

    /**
     * Takes {@code run.lock}: two runs writing one directory would interleave their metrics rows
     * and overwrite each other's checkpoints.
     */
    private void lock() throws IOException {
        lockFile =
                java.nio.channels.FileChannel.open(
                        dir.resolve("run.lock"),
                        StandardOpenOption.CREATE,
                        StandardOpenOption.WRITE);
        try {
            lock = lockFile.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held in this JVM
        } catch (IOException e) {
            // a file system without locks (some network mounts): run unguarded, and say so
            System.err.println(
                    "cannot lock "
                            + dir.resolve("run.lock")
                            + " ("
                            + e.getMessage()
                            + "); nothing keeps a second run out of this directory");
            lockFile.close();
            lockFile = null;
            return;
        }
        if (lock == null) {
            lockFile.close();
            lockFile = null;
            throw new IllegalStateException(
                    "another run is writing to "
                            + dir
                            + " (it holds run.lock); wait for it to finish or choose another"
                            + " runDir");
        }
    }

    Path dir() {
        return dir;
    }

    Path metrics() {
        return dir.resolve("metrics.csv");
    }

    /** Creates the directory and checks a resumed run describes the same model. */
    void open(Plan plan, boolean resume) throws IOException {
        Files.createDirectories(dir.resolve("checkpoints"));
        lock();
        Path planFile = dir.resolve("plan.txt");
        String modelLine = "model: " + plan.model();
        if (resume && Files.exists(planFile) && latest() != null) {
            String old = Files.readString(planFile, StandardCharsets.UTF_8);
            String oldModel =
                    old.lines().filter(l -> l.startsWith("model: ")).findFirst().orElse("");
            if (!oldModel.equals(modelLine)) {
                throw new IllegalArgumentException(
                        "cannot resume "
                                + dir
                                + ": it was run with another model.\n  then: "
                                + oldModel
                                + "\n  now:  "
                                + modelLine
                                + "\nuse another runDir or the same description");
            }
            // the stages too: a resumed stage with other steps, data or schedule would continue
            // on a learning-rate curve it did not start on, or be skipped as already done
            List<String> then = training(descriptionLines(old));
            List<String> now = training(plan.description().toString().lines().toList());
            boolean stagesAdded =
                    then.size() < now.size()
                            && now.subList(0, then.size()).equals(then)
                            && now.subList(then.size(), now.size()).stream()
                                    .allMatch(l -> l.startsWith("  .stage("));
            if (!then.equals(now) && !stagesAdded) {
                StringBuilder diff = new StringBuilder();
                for (int i = 0; i < Math.max(then.size(), now.size()); i++) {
                    String a = i < then.size() ? then.get(i) : "(none)";
                    String b = i < now.size() ? now.get(i) : "(none)";
                    if (!a.equals(b)) {
                        diff.append("\n  then: ").append(a.strip());
                        diff.append("\n  now:  ").append(b.strip());
                    }
                }
                throw new IllegalArgumentException(
                        "cannot resume "
                                + dir
                                + ": it was run with another description (its plan.txt is kept):"
                                + diff
                                + "\nresume with the description it was run with, or start a new"
                                + " run in another runDir (startFrom(...) a checkpoint of this one"
                                + " to build on its weights)");
            }
        } else if (!resume && latest() != null) {
            throw new IllegalArgumentException(
                    dir
                            + " already holds checkpoints of a run: resume it with"
                            + " .resume(true) or choose another runDir");
        }
        String text =
                plan.description()
                        + "\n"
                        + modelLine
                        + "\nruntime: "
                        + plan.runtime()
                        + "\n\n"
                        + plan.describe().printAll()
                        + "\n";
        Files.writeString(planFile, text, StandardCharsets.UTF_8);
        if (!Files.exists(metrics())) {
            Files.writeString(metrics(), HEADER + "\n", StandardCharsets.UTF_8);
        }
    }

    /**
     * A description's lines without the settings that change no arithmetic (how often checkpoints
     * are written and how many are kept), which a resumed run may change.
     */
    private static List<String> training(List<String> lines) {
        return lines.stream()
                .map(
                        l ->
                                l.replaceAll(", checkpoint every \\d+", "")
                                        .replaceAll(", keep \\d+ checkpoints", ""))
                .toList();
    }

    /** The description's lines of a {@code plan.txt}: everything before the model line. */
    private static List<String> descriptionLines(String planText) {
        List<String> out = new ArrayList<>();
        for (String l : planText.lines().toList()) {
            if (l.startsWith("model: ")) {
                break;
            }
            out.add(l);
        }
        return out;
    }

    /** A checkpoint on disk. */
    record Checkpoint(Path dir, int stage, int step) {}

    /** A checkpoint's small state file, written last: a folder without it is no checkpoint. */
    static final String STATE = "state.properties";

    /** The complete checkpoints on disk (a folder with its state file), in no order. */
    private List<Checkpoint> checkpoints() throws IOException {
        Path root = dir.resolve("checkpoints");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("stage-\\d+-step-\\d+"))
                    .filter(p -> Files.exists(p.resolve(STATE)))
                    .map(
                            p -> {
                                String[] parts = p.getFileName().toString().split("-");
                                return new Checkpoint(
                                        p, Integer.parseInt(parts[1]), Integer.parseInt(parts[3]));
                            })
                    .toList();
        }
    }

    Checkpoint latest() throws IOException {
        return checkpoints().stream()
                .max(Comparator.comparingInt(Checkpoint::stage).thenComparingInt(Checkpoint::step))
                .orElse(null);
    }

    /** Writes a checkpoint through a temporary folder renamed into place. */
    Checkpoint save(
            int stage,
            int step,
            boolean stageDone,
            dev.vlmo.model.VlmoModel model,
            AdamW optimizer,
            MixedPrecision precision)
            throws IOException {
        Path root = dir.resolve("checkpoints");
        String name = "stage-" + stage + "-step-" + step;
        Path tmp = Files.createTempDirectory(root, name + ".tmp");
        model.save(tmp.resolve("model.params"));
        optimizer.save(tmp.resolve("optimizer.bin"));
        Properties p = new Properties();
        p.setProperty("stage", Integer.toString(stage));
        p.setProperty("step", Integer.toString(step));
        p.setProperty("stageDone", Boolean.toString(stageDone));
        precision.save(p);
        writeState(tmp, p, "VLMo run state");
        Path target = root.resolve(name);
        if (Files.exists(target)) {
            deleteTree(target);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return new Checkpoint(target, stage, step);
    }

    /**
     * Deletes the oldest of a stage's checkpoints from within the stage (not at its end) so that
     * {@code keep} remain; called after a new one is in place.
     *
     * @return the folders deleted
     */
    List<Path> prune(int stage, int keep) throws IOException {
        List<Checkpoint> within = new ArrayList<>();
        for (Checkpoint c : checkpoints()) {
            if (c.stage() == stage && !stageDone(c)) {
                within.add(c);
            }
        }
        within.sort(Comparator.comparingInt(Checkpoint::step));
        List<Path> gone = new ArrayList<>();
        for (int i = 0; i < within.size() - keep; i++) {
            Path old = within.get(i).dir();
            try {
                deleteTree(old);
                gone.add(old);
            } catch (IOException e) {
                // training goes on: a checkpoint left behind costs disk, not the run
                System.err.println("could not delete the old checkpoint " + old + ": " + e);
            }
        }
        return gone;
    }

    /** A checkpoint's state: stage, step, whether the stage is done, the fp16 loss scale. */
    static Properties state(Checkpoint c) throws IOException {
        return readState(c.dir());
    }

    /** Reads the {@code state.properties} of a checkpoint folder (pretraining or fine-tuning). */
    static Properties readState(Path checkpoint) throws IOException {
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(checkpoint.resolve(STATE))) {
            p.load(r);
        }
        return p;
    }

    /** Writes the {@code state.properties} of a checkpoint folder. */
    static void writeState(Path checkpoint, Properties p, String comment) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(checkpoint.resolve(STATE))) {
            p.store(w, comment);
        }
    }

    static boolean stageDone(Checkpoint c) throws IOException {
        Properties p = state(c);
        return Boolean.parseBoolean(p.getProperty("stageDone"));
    }

    /**
     * The stages a run resumed from {@code c} has finished: its stage if done, else those before.
     */
    static int stagesDone(Checkpoint c) throws IOException {
        return stageDone(c) ? c.stage() : c.stage() - 1;
    }

    /** Keeps the metrics rows up to a stage's step, so a resumed run appends where it was. */
    void truncateMetrics(int stage, int step) throws IOException {
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(metrics(), StandardCharsets.UTF_8)) {
            if (line.startsWith("stage,")) {
                keep.add(line);
                continue;
            }
            // a row cut short by a crash or a full disk (fewer fields, a torn number) is dropped
            // with the rows after the checkpoint: the resumed run writes its step again
            String[] f = line.split(",", -1);
            if (f.length != COLUMNS) {
                continue;
            }
            int s;
            int n;
            try {
                s = Integer.parseInt(f[0]);
                n = Integer.parseInt(f[2]);
            } catch (NumberFormatException e) {
                continue;
            }
            if (s < stage || s == stage && n <= step) {
                keep.add(line);
            }
        }
        // written beside and renamed, so a crash now leaves the old file or the new one
        Path tmp = metrics().resolveSibling("metrics.csv.tmp");
        Files.write(tmp, keep, StandardCharsets.UTF_8);
        Files.move(
                tmp,
                metrics(),
                StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Deletes checkpoint folders a crash left half-written (the {@code .tmp} folders that {@link
     * #save} renames into place when complete).
     *
     * @return the folders deleted
     */
    List<Path> removeUnfinishedCheckpoints() throws IOException {
        Path root = dir.resolve("checkpoints");
        List<Path> gone = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return gone;
        }
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                // a temporary folder never renamed, or a checkpoint folder whose state file (the
                // first thing a deletion removes) is gone
                if (Files.isDirectory(p)
                        && (n.matches("stage-\\d+-step-\\d+\\.tmp.*")
                                || n.matches("stage-\\d+-step-\\d+")
                                        && !Files.exists(p.resolve(STATE)))) {
                    deleteTree(p);
                    gone.add(p);
                }
            }
        }
        return gone;
    }

    void appendMetrics(String row) {
        try {
            Files.writeString(
                    metrics(), row + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + metrics(), e);
        }
    }

    /** Deletes a folder and everything in it. */
    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
