package org.jqat.qat.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.jqat.core.io.Json;
import org.jqat.core.io.SafetensorsException;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.optim.Optimizer;
import org.jqat.nn.sched.LRScheduler;

/**
 * A run's output directory as a small database with one writer. See {@code docs/formats.md}
 * ("Run directory") for the contract; in short:
 *
 * <ul>
 *   <li>{@code run.lock} is held for the whole run ({@link RunLock}): a second run is refused.</li>
 *   <li>{@code last.safetensors} is the commit record. Besides the training state it holds the
 *       run's settings, every finished epoch's metrics row and which epoch is the best;
 *       {@code metrics.jsonl}, {@code config.json} and {@code best.safetensors} are views that
 *       opening the directory brings in line with it.</li>
 *   <li>An epoch commits in one rename: the new best is staged under a hidden name, then
 *       {@code last} is replaced (the commit), then the staged best is published and
 *       {@code metrics.jsonl} rewritten. A kill before the commit leaves the previous epoch
 *       whole (the staged file is dropped on the next start); a kill after it is rolled forward.</li>
 *   <li>Resuming compares the stored settings with the current ones and refuses any difference
 *       not explicitly allowed.</li>
 * </ul>
 */
public final class RunDirectory implements AutoCloseable {
    public static final String LAST = "last.safetensors";
    public static final String BEST = "best.safetensors";
    public static final String METRICS = "metrics.jsonl";
    public static final String CONFIG = "config.json";
    static final String BEST_STAGED = ".best.safetensors.staged";

    /** Metadata keys of the commit record (checkpoint user metadata). */
    static final String SETTINGS_KEY = "settings";
    static final String METRICS_KEY = "metrics";
    static final String BEST_TOP1_KEY = "best_top1";
    static final String BEST_EPOCH_KEY = "best_epoch";
    static final String TOP1_KEY = "top1";

    /** Temporary files of our own atomic writes: {@code .<name>.<hex>.tmp}. */
    private static final Pattern STALE_TEMP = Pattern.compile(
            "\\.(last\\.safetensors|best\\.safetensors|\\.best\\.safetensors\\.staged|metrics\\.jsonl|config\\.json)\\.[0-9a-f]+\\.tmp");

    /** Test hook: {@code -Djqat.test.pauseAt=committed@2} parks the run at that point of epoch 2's commit. */
    private static final String PAUSE_PROPERTY = "jqat.test.pauseAt";

    private final Path dir;
    private final RunLock lock;
    private final Map<String, Object> settings;
    private final List<Map<String, Object>> history;
    private double bestTop1;
    private int bestEpoch;
    private Map<String, String> checkpointMetadata = Map.of();

    private RunDirectory(Path dir, RunLock lock, Map<String, Object> settings, List<Map<String, Object>> history,
                         double bestTop1, int bestEpoch) {
        this.dir = dir;
        this.lock = lock;
        this.settings = settings;
        this.history = history;
        this.bestTop1 = bestTop1;
        this.bestEpoch = bestEpoch;
    }

    /**
     * Locks the directory, removes what interrupted writes left, and either recovers the committed
     * state (resume) or clears the previous run's files (a fresh start).
     *
     * @param settings    everything that defines the run (JSON values); stored with each commit
     * @param mayChange   settings allowed to differ from the stored ones when resuming
     * @param resume      continue the committed run when there is one; false starts afresh
     * @param epochs      the epochs the run is to reach (a resume past it is refused)
     */
    public static RunDirectory open(Path dir, Map<String, Object> settings, Set<String> mayChange, boolean resume, int epochs) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create output directory " + dir + ": " + RunLock.reason(e), e);
        }
        RunLock lock = RunLock.acquire(dir);
        try {
            Map<String, Object> current = normalised(settings);
            removeStaleTemporaries(dir);
            Path last = dir.resolve(LAST);
            if (!resume && Files.exists(last)) {
                Trainer.LOG.log(System.Logger.Level.INFO, "starting afresh in " + dir
                        + " (resume off): removing the previous run's checkpoints and metrics");
            }
            if (!resume || !Files.exists(last)) {
                // The commit record goes first: a kill in the middle leaves a directory with no commit.
                for (String f : List.of(LAST, BEST, BEST_STAGED, METRICS)) {
                    delete(dir.resolve(f));
                }
                return new RunDirectory(dir, lock, current, new ArrayList<>(), Double.NEGATIVE_INFINITY, 0);
            }
            return recover(dir, lock, current, mayChange, epochs);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    private static RunDirectory recover(Path dir, RunLock lock, Map<String, Object> current, Set<String> mayChange, int epochs) {
        Path last = dir.resolve(LAST);
        Map<String, String> md;
        try (SafetensorsFile f = SafetensorsFile.open(last)) {
            md = f.metadata();
        }
        int done = Checkpoint.read(last).epoch();
        String storedSettings = md.get(SETTINGS_KEY);
        if (storedSettings != null) {
            checkSettings(dir, object(last, SETTINGS_KEY, storedSettings), current, mayChange);
        }
        if (done > epochs) {
            throw new IllegalArgumentException("--epochs " + epochs + " is below the " + done + " epochs " + dir
                    + " already finished; pass --epochs " + done + " or more (with --allow-change epochs), or --no-resume");
        }
        String rows = md.get(METRICS_KEY);
        if (rows == null && done > 0) {
            rows = legacyRows(dir.resolve(METRICS), done);
        }
        List<Map<String, Object>> history = history(last, rows, done);
        double best = number(last, BEST_TOP1_KEY, md.getOrDefault(BEST_TOP1_KEY, "-Infinity"));
        int bestEpoch = (int) number(last, BEST_EPOCH_KEY, md.getOrDefault(BEST_EPOCH_KEY, "0"));
        if (bestEpoch < 0 || bestEpoch > done) {
            throw new SafetensorsException(last.toString(), null, "metadata " + BEST_EPOCH_KEY + " " + bestEpoch
                    + " is outside the " + done + " finished epochs");
        }
        RunDirectory run = new RunDirectory(dir, lock, current, history, best, bestEpoch);
        run.publishStagedBest();
        run.writeMetrics();
        return run;
    }

    /** Rolls a staged best forward when the commit names its epoch, else drops it (its epoch never committed). */
    private void publishStagedBest() {
        Path staged = dir.resolve(BEST_STAGED);
        if (!Files.exists(staged)) {
            return;
        }
        int epoch;
        try {
            epoch = Checkpoint.read(staged).epoch();
        } catch (RuntimeException e) {
            epoch = -1; // a damaged staged file cannot be the committed best
        }
        if (epoch == bestEpoch && bestEpoch > 0) {
            move(staged, dir.resolve(BEST));
        } else {
            delete(staged);
        }
    }

    private static void checkSettings(Path dir, Map<String, Object> stored, Map<String, Object> current, Set<String> mayChange) {
        List<String> differences = new ArrayList<>();
        Set<String> keys = new TreeSet<>(stored.keySet());
        keys.addAll(current.keySet());
        for (String k : keys) {
            String was = stored.containsKey(k) ? Json.write(stored.get(k)) : "(unset)";
            String now = current.containsKey(k) ? Json.write(current.get(k)) : "(unset)";
            if (!was.equals(now) && !mayChange.contains(k)) {
                differences.add(k + " " + was + " -> " + now);
            }
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds a run with other settings (" + String.join(", ", differences)
                    + "); resume with the same settings, start afresh with --no-resume, or choose another --out");
        }
    }

    private static Map<String, Object> normalised(Map<String, Object> settings) {
        // A JSON round trip makes numbers and lists compare as they will when read back.
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) Json.parse(Json.write(settings));
        return m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Path file, String key, String json) {
        try {
            Object o = Json.parse(json);
            if (o instanceof Map<?, ?> m) {
                return (Map<String, Object>) m;
            }
        } catch (Json.ParseException e) {
            // reported below
        }
        throw new SafetensorsException(file.toString(), null, "metadata '" + key + "' is not a JSON object");
    }

    /**
     * Checkpoints written before the commit record held the rows: take epochs 1..done from
     * {@code metrics.jsonl} (the last row of each epoch, as a resumed run appended it again), or
     * null when the file cannot supply them.
     */
    private static String legacyRows(Path metrics, int done) {
        Map<Integer, Object> byEpoch = new java.util.TreeMap<>();
        try {
            for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                if (Json.parse(line) instanceof Map<?, ?> m && m.get("epoch") instanceof Number n && n.intValue() >= 1
                        && n.intValue() <= done) {
                    byEpoch.put(n.intValue(), m);
                }
            }
        } catch (IOException | Json.ParseException e) {
            return null;
        }
        return byEpoch.size() == done ? Json.write(new ArrayList<>(byEpoch.values())) : null;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> history(Path file, String json, int done) {
        if (json == null) {
            if (done == 0) {
                return new ArrayList<>();
            }
            throw new SafetensorsException(file.toString(), null, "metadata '" + METRICS_KEY + "' is missing and "
                    + METRICS + " does not hold epochs 1.." + done + "; start afresh with --no-resume");
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        try {
            if (Json.parse(json) instanceof List<?> list) {
                for (Object o : list) {
                    if (!(o instanceof Map<?, ?> m) || !(m.get("epoch") instanceof Number n) || n.intValue() != rows.size() + 1) {
                        throw new SafetensorsException(file.toString(), null, "metadata '" + METRICS_KEY
                                + "' row " + (rows.size() + 1) + " is not the record of epoch " + (rows.size() + 1));
                    }
                    rows.add(new LinkedHashMap<>((Map<String, Object>) m));
                }
            }
        } catch (Json.ParseException e) {
            throw new SafetensorsException(file.toString(), null, "metadata '" + METRICS_KEY + "' is not JSON: " + e.getMessage());
        }
        if (rows.size() != done) {
            throw new SafetensorsException(file.toString(), null, "metadata '" + METRICS_KEY + "' holds " + rows.size()
                    + " epochs but " + Checkpoint.EPOCH + " is " + done);
        }
        return rows;
    }

    private static double number(Path file, String key, String value) {
        try {
            double v = Double.parseDouble(value);
            if (!Double.isNaN(v)) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new SafetensorsException(file.toString(), null, "metadata '" + key + "' is not a number: '"
                + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "'");
    }

    /** Epochs already committed. */
    public int finishedEpochs() {
        return history.size();
    }

    /** Best top-1 over the committed epochs ({@code -Infinity} before the first). */
    public double bestTop1() {
        return bestTop1;
    }

    /** The committed epochs' metrics rows, in order. */
    public List<Map<String, Object>> history() {
        return List.copyOf(history);
    }

    public Path last() {
        return dir.resolve(LAST);
    }

    /**
     * Adds {@code entries} (e.g. the preprocessing the model expects) to the metadata of every
     * checkpoint this run writes; the run's own keys take precedence.
     */
    public RunDirectory withCheckpointMetadata(Map<String, String> entries) {
        this.checkpointMetadata = Map.copyOf(entries);
        return this;
    }

    /**
     * Commits one finished epoch: the training state, its metrics row and, when {@code top1}
     * beats every earlier epoch, the new best model, as one unit.
     */
    public void commit(Module model, Optimizer optimizer, LRScheduler scheduler, Map<String, Object> record, double top1) {
        int epoch = history.size() + 1;
        if (!(record.get("epoch") instanceof Number n) || n.intValue() != epoch) {
            throw new IllegalArgumentException("commit: record " + record.get("epoch") + " is not epoch " + epoch);
        }
        boolean improved = top1 > bestTop1;
        history.add(record);
        if (improved) {
            bestTop1 = top1;
            bestEpoch = epoch;
        }
        String settingsJson = Json.write(settings);
        Map<String, String> bestMeta = new LinkedHashMap<>(checkpointMetadata);
        bestMeta.put(SETTINGS_KEY, settingsJson);
        bestMeta.put(TOP1_KEY, Double.toString(top1));
        if (improved) {
            Checkpoint.save(dir.resolve(BEST_STAGED), model, null, null, epoch, null, bestMeta);
            pause("best-staged", epoch);
        }
        Map<String, String> meta = new LinkedHashMap<>(checkpointMetadata);
        meta.put(SETTINGS_KEY, settingsJson);
        meta.put(METRICS_KEY, Json.write(history));
        meta.put(BEST_TOP1_KEY, Double.toString(bestTop1));
        meta.put(BEST_EPOCH_KEY, Integer.toString(bestEpoch));
        meta.put(TOP1_KEY, Double.toString(top1));
        Checkpoint.save(dir.resolve(LAST), model, optimizer, scheduler, epoch, null, meta);
        pause("committed", epoch);
        if (improved) {
            move(dir.resolve(BEST_STAGED), dir.resolve(BEST));
            pause("best-published", epoch);
        }
        writeMetrics();
        pause("metrics-written", epoch);
    }

    private void writeMetrics() {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> r : history) {
            sb.append(Json.write(r)).append('\n');
        }
        writeAtomically(dir.resolve(METRICS), sb.toString());
    }

    /**
     * Writes {@code config.json}: called once the run is accepted (settings checked and, on a
     * resume, the committed state loaded), so a refused start leaves the file as it was.
     */
    public void writeConfig() {
        writeAtomically(dir.resolve(CONFIG), Json.write(settings) + "\n");
    }

    /** Writes a small text file atomically: temporary file beside it, fsync, rename. */
    public static void writeAtomically(Path file, String content) {
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the next run's start removes it
            }
            throw new UncheckedIOException("cannot write " + file + ": " + RunLock.reason(e), e);
        }
    }

    private static void removeStaleTemporaries(Path dir) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path f : files) {
                if (STALE_TEMP.matcher(f.getFileName().toString()).matches()) {
                    delete(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + RunLock.reason(e), e);
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rename " + from + " to " + to + ": " + RunLock.reason(e), e);
        }
    }

    private static void delete(Path f) {
        try {
            Files.deleteIfExists(f);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove " + f + ": " + RunLock.reason(e), e);
        }
    }

    /** Parks the thread at a named commit point when the test property asks for it (never in normal runs). */
    private static void pause(String point, int epoch) {
        String at = System.getProperty(PAUSE_PROPERTY);
        if (at == null || !at.equals(point + "@" + epoch)) {
            return;
        }
        System.err.println("jqat.test.paused " + point + "@" + epoch);
        System.err.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public void close() {
        lock.close();
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s (%d epochs committed)", dir, history.size());
    }
}
