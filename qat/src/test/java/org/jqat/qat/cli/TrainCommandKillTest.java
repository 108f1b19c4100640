package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jqat.nn.checkpoint.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jqat train} in a child JVM, stopped with SIGTERM or SIGKILL while it is parked inside an
 * epoch's commit; a second {@code jqat train} on the same directory meanwhile is refused naming
 * the child's pid; rerunning the command then completes a consistent run directory.
 */
class TrainCommandKillTest {

    private static List<String> args(Path data, Path out) {
        return List.of("train", "--model", "mnist-cnn", "--dataset", "mnist", "--data-dir", data.toString(), "--no-download",
                "--epochs", "2", "--limit-train", "256", "--limit-test", "128", "--batch-size", "64", "--lr", "0.05",
                "--out", out.toString(), "--no-progress", "--workers", "1", "--threads", "1");
    }

    private static Process parked(Path data, Path out, String point) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-Xmx512m",
                "-Djqat.test.pauseAt=" + point, "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args(data, out));
        Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = err.readLine()) != null; ) {
            seen.append(line).append('\n');
            if (line.equals("jqat.test.paused " + point)) {
                return p;
            }
        }
        throw new AssertionError("jqat train exited before " + point + ":\n" + seen);
    }

    @Test
    void aStoppedRunIsRefusedToOthersThenResumesConsistently(@TempDir Path tmp) throws Exception {
        Path data = TrainCommandTest.sharedDatasets();
        assumeTrue(data != null, "shared/datasets/mnist not found beside the repository");
        Path out = tmp.resolve("run");
        String[] rerun = args(data, out).toArray(String[]::new);

        Process child = parked(data, out, "best-staged@1");
        String err = HostileInputTest.refused(1, rerun);
        assertTrue(err.contains("pid " + child.pid()), err);
        child.destroy(); // SIGTERM
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));

        child = parked(data, out, "committed@2");
        child.destroyForcibly(); // SIGKILL
        assertTrue(child.waitFor(30, TimeUnit.SECONDS));

        assertEquals(0, Main.run(rerun));
        assertEquals(2, Files.readAllLines(out.resolve("metrics.jsonl")).size());
        assertEquals(2, Checkpoint.read(out.resolve("last.safetensors")).epoch());
        assertTrue(Files.exists(out.resolve("best.safetensors")));
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".")).toList());
        }
    }
}
