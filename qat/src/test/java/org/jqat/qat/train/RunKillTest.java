package org.jqat.qat.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jqat.core.Tensor;
import org.jqat.core.io.Json;
import org.jqat.nn.checkpoint.Checkpoint;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SIGKILL at each commit point of an epoch (a child JVM parked there by the test hook), then
 * recovery and resume: {@code best} is the best finished epoch's model, {@code metrics.jsonl}
 * has every finished epoch once, no temporary file survives, and the resumed run ends with the
 * weights of an uninterrupted one, bit for bit. Also: a second process is refused the directory.
 */
class RunKillTest {
    private static final int EPOCHS = 3;
    private static Path straight;

    @BeforeAll
    static void uninterruptedRun(@TempDir Path dir) {
        straight = dir.resolve("straight");
        train(straight, EPOCHS);
    }

    static void train(Path out, int epochs) {
        KillableRun.run(out, epochs);
    }

    /** Starts the child JVM and waits until it reports being parked at {@code point}. */
    private static Process parkedChild(Path out, String point) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m",
                "-Djqat.test.pauseAt=" + point, "-cp", System.getProperty("java.class.path"),
                KillableRun.class.getName(), out.toString(), Integer.toString(EPOCHS)));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = err.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.equals("jqat.test.paused " + point)) {
                return p;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("child exited (" + p.onExit().join().exitValue() + ") before reaching " + point + ":\n" + seen);
    }

    private static void kill(Process p) throws InterruptedException {
        p.destroyForcibly(); // SIGKILL on POSIX: no shutdown hook, no finally block runs
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
    }

    @ParameterizedTest
    @ValueSource(strings = {"best-staged@2", "committed@2", "best-published@2", "metrics-written@1"})
    void killedAtACommitPointResumesToTheSameWeights(String point, @TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        kill(parkedChild(out, point));
        // Opening the directory recovers it: invariants hold for whatever epochs committed.
        try (RunDirectory run = RunDirectory.open(out, KillableRun.settings(out, EPOCHS), java.util.Set.of(), true, EPOCHS)) {
            assertConsistent(out, run.finishedEpochs());
        }
        train(out, EPOCHS);
        assertConsistent(out, EPOCHS);
        assertArrayEquals(weights(straight.resolve(Trainer.LAST)), weights(out.resolve(Trainer.LAST)),
                "resumed weights must equal the uninterrupted run's bit for bit");
        assertArrayEquals(weights(straight.resolve(Trainer.BEST)), weights(out.resolve(Trainer.BEST)));
        assertEquals(Files.readString(straight.resolve(Trainer.METRICS)).lines().map(RunKillTest::withoutTimes).toList(),
                Files.readString(out.resolve(Trainer.METRICS)).lines().map(RunKillTest::withoutTimes).toList());
    }

    @Test
    void aSecondProcessIsRefusedNamingTheHolder(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("run");
        Process holder = parkedChild(out, "committed@1");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> train(out, EPOCHS));
            assertTrue(e.getMessage().contains("pid " + holder.pid()), e.getMessage());
        } finally {
            kill(holder);
        }
        train(out, EPOCHS); // the OS released the dead holder's lock
        assertConsistent(out, EPOCHS);
    }

    /** best = the model of the first epoch with the highest test top-1; metrics = epochs 1..n once; no leftovers. */
    static void assertConsistent(Path out, int finished) throws IOException {
        List<String> lines = Files.exists(out.resolve(Trainer.METRICS)) ? Files.readAllLines(out.resolve(Trainer.METRICS)) : List.of();
        assertEquals(finished, lines.size(), "metrics rows: " + lines);
        int bestEpoch = 0;
        double best = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < lines.size(); i++) {
            @SuppressWarnings("unchecked")
            Map<String, Object> row = (Map<String, Object>) Json.parse(lines.get(i));
            assertEquals(i + 1, ((Number) row.get("epoch")).intValue());
            double top1 = ((Number) row.get("test_top1")).doubleValue();
            if (top1 > best) {
                best = top1;
                bestEpoch = i + 1;
            }
        }
        if (finished == 0) {
            assertFalse(Files.exists(out.resolve(Trainer.BEST)));
        } else {
            assertEquals(bestEpoch, Checkpoint.read(out.resolve(Trainer.BEST)).epoch(), "best.safetensors is not the best epoch");
            assertEquals(finished, Checkpoint.read(out.resolve(Trainer.LAST)).epoch());
        }
        try (Stream<Path> files = Files.list(out)) {
            List<String> leftovers = files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
            assertEquals(List.of(), leftovers, "temporary or staged files left behind");
        }
    }

    /** A metrics row without its wall-clock and heap fields, which legitimately differ between processes. */
    private static String withoutTimes(String line) {
        @SuppressWarnings("unchecked")
        Map<String, Object> row = new java.util.TreeMap<>((Map<String, Object>) Json.parse(line));
        row.keySet().removeIf(k -> k.contains("seconds") || k.contains("per_s") || k.contains("heap"));
        return Json.write(row);
    }

    private static float[] weights(Path file) {
        Map<String, Tensor> m = Checkpoint.read(file).model();
        return m.values().stream().map(Tensor::toFloatArray).reduce(new float[0], (a, b) -> {
            float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        });
    }
}
