package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jqat.core.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jqat train on the real MNIST files, and the command line's rejection of bad input. */
class TrainCommandTest {

    /** The shared data sets beside the repository, or null when this machine has none. */
    static Path sharedDatasets() {
        String prop = System.getProperty("jqat.datasets", "");
        if (!prop.isBlank()) {
            return Path.of(prop);
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared/datasets");
            if (Files.isDirectory(candidate.resolve("mnist"))) {
                return candidate;
            }
        }
        return null;
    }

    @Test
    void smallCnnLearnsOnRealMnist(@TempDir Path out) throws Exception {
        Path data = sharedDatasets();
        assumeTrue(data != null, "shared/datasets/mnist not found beside the repository");
        int status = Main.run("train", "--model", "mnist-cnn", "--dataset", "mnist", "--data-dir", data.toString(),
                "--no-download", "--epochs", "2", "--limit-train", "1536", "--limit-test", "512", "--batch-size", "64",
                "--lr", "0.05", "--out", out.toString(), "--no-progress");
        assertEquals(0, status);
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(2, lines.size());
        @SuppressWarnings("unchecked")
        var first = (java.util.Map<String, Object>) Json.parse(lines.get(0));
        @SuppressWarnings("unchecked")
        var second = (java.util.Map<String, Object>) Json.parse(lines.get(1));
        double loss1 = ((Number) first.get("train_loss")).doubleValue();
        double loss2 = ((Number) second.get("train_loss")).doubleValue();
        assertTrue(loss2 < loss1 && loss1 < 2.4, "training loss should fall: " + loss1 + " -> " + loss2);
        assertTrue(((Number) second.get("test_top1")).doubleValue() > 60, second.toString());
        assertTrue(Files.exists(out.resolve("last.safetensors")) && Files.exists(out.resolve("config.json")));
        // The checkpoint evaluates to the same accuracy through jqat eval.
        assertEquals(0, Main.run("eval", "--checkpoint", out.resolve("best.safetensors").toString(), "--model", "mnist-cnn",
                "--dataset", "mnist", "--data-dir", data.toString(), "--no-download", "--limit", "512"));
    }

    @Test
    void badInputIsRejectedBeforeAnythingRuns(@TempDir Path out) {
        String err = Console.stderrOf(() -> assertEquals(2, Main.run("train", "--epochs", "0", "--out", out.toString())));
        assertTrue(err.contains("epochs"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("train", "--dataset", "imagenet-42", "--out", out.toString())));
        assertTrue(err.contains("imagenet-42"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("train", "--bogus-option")));
        assertTrue(err.contains("--bogus-option"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("train", "--epochs", "many")));
        assertTrue(err.contains("many"), err);
        err = Console.stderrOf(() -> assertEquals(2, Main.run("train", "--model", "resnet21", "--dataset", "mnist",
                "--data-dir", out.toString(), "--no-download", "--out", out.toString())));
        assertTrue(err.contains("resnet21"), err);
        err = Console.stderrOf(() -> assertEquals(1, Main.run("train", "--model", "mnist-cnn", "--dataset", "mnist",
                "--data-dir", out.toString(), "--no-download", "--out", out.toString())));
        assertTrue(err.contains("mnist") && err.contains(out.toString()), err);
        assertTrue(Files.notExists(out.resolve("last.safetensors")));
    }

    @Test
    void everyCommandHasHelp() {
        for (String cmd : List.of("train", "eval", "info", "conformance")) {
            assertEquals(0, Main.run(cmd, "--help"), cmd);
        }
    }
}
