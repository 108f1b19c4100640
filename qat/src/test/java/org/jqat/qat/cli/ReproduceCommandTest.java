package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jqat.core.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A miniature smoke reproduction on real MNIST: FP training, plain QAT and QAT+BR, table, JSON and plot. */
class ReproduceCommandTest {

    @Test
    void miniatureSmokeReproduction(@TempDir Path out) throws Exception {
        Path data = TrainCommandTest.sharedDatasets();
        assumeTrue(data != null, "shared/datasets/mnist not found beside the repository");
        Path fp = out.resolve("fp");
        assertEquals(0, Main.run("train", "--model", "mnist-cnn", "--dataset", "mnist", "--data-dir", data.toString(),
                "--no-download", "--epochs", "1", "--limit-train", "2048", "--limit-test", "512", "--batch-size", "64",
                "--lr", "0.05", "--out", fp.toString(), "--no-progress"));
        Path dir = out.resolve("repro");
        assertEquals(0, Main.run("reproduce", "--preset", "smoke", "--data-dir", data.toString(), "--no-download",
                "--teacher", fp.resolve("last.safetensors").toString(), "--qat-epochs", "2", "--seeds", "2", "--bits", "2",
                "--limit-train", "1024", "--out", dir.toString(), "--no-progress"));
        String table = Files.readString(dir.resolve("results.md"));
        assertTrue(table.contains("| FP | 32/32 |") && table.contains("| LSQ | 2/2 |") && table.contains("| LSQ+BR | 2/2 |"), table);
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("results.json")));
        List<?> runs = (List<?>) json.get("runs");
        assertEquals(1 + 2 * 2, runs.size());
        @SuppressWarnings("unchecked")
        Map<String, Object> br = (Map<String, Object>) runs.get(runs.size() - 1);
        assertEquals("LSQ+BR", br.get("method"));
        assertEquals(2, ((List<?>) br.get("test_top1_per_epoch")).size());
        assertTrue(((Number) br.get("top1")).doubleValue() > 50, br.toString());
        var png = ImageIO.read(dir.resolve("accuracy.png").toFile());
        assertTrue(png.getWidth() > 100 && png.getHeight() > 100);
        // Rerunning finds every run finished and only rebuilds the report.
        assertEquals(0, Main.run("reproduce", "--preset", "smoke", "--data-dir", data.toString(), "--no-download",
                "--teacher", fp.resolve("last.safetensors").toString(), "--qat-epochs", "2", "--seeds", "2", "--bits", "2",
                "--limit-train", "1024", "--out", dir.toString(), "--no-progress"));
        assertEquals(table, Files.readString(dir.resolve("results.md")));
    }

    @Test
    void unknownPresetIsRejected() {
        assertEquals(2, Main.run("reproduce", "--preset", "imagenet-in-a-minute"));
        assertEquals(2, Main.run("reproduce", "--bits", "9"));
        assertEquals(2, Main.run("reproduce", "--methods", "plain,magic"));
    }
}
