package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.jqat.core.Rng;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.testing.SharedData;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.zoo.MnistCnn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The preprocessing a teacher records travels through qat (its checkpoints record it), export
 * (the integer model file records it) and infer, and each command says which one it uses.
 */
class PreprocessingCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void teacherPreprocessingReachesQatExportAndInfer() {
        Path data = SharedData.datasets();
        Path teacher = tmp.resolve("fp.safetensors");
        Checkpoint.save(teacher, new MnistCnn(new Rng(0)), null, null, 1, null,
                Map.of("preprocessing.mean", "0.5", "preprocessing.std", "0.25"));
        Path runs = tmp.resolve("qat");
        String err = Console.stderrOf(() -> Console.stdoutOf(() -> assertEquals(0, Main.run("qat", "--teacher", teacher.toString(),
                "--model", "mnist-cnn", "--dataset", "mnist", "--data-dir", data.toString(), "--no-download", "--epochs", "1",
                "--limit-train", "128", "--limit-test", "64", "--batch-size", "64", "--workers", "1", "--out", runs.toString(),
                "--no-progress"))));
        assertTrue(err.contains("preprocessing: pixels/255, mean (0.5), std (0.25) (recorded in " + teacher + ")"), err);
        Checkpoint.Contents qat = Checkpoint.read(runs.resolve("last.safetensors"));
        assertEquals("0.5", qat.metadata().get("preprocessing.mean"));
        assertEquals("0.25", qat.metadata().get("preprocessing.std"));

        Path exported = tmp.resolve("int.safetensors");
        err = Console.stderrOf(() -> Console.stdoutOf(() -> assertEquals(0, Main.run("export", "--model", "mnist-cnn", "--dataset", "mnist",
                "--checkpoint", runs.resolve("last.safetensors").toString(), "--out", exported.toString()))));
        assertTrue(err.contains("mean (0.5), std (0.25) (recorded in " + runs.resolve("last.safetensors") + ")"), err);
        try (SafetensorsFile f = SafetensorsFile.open(exported)) {
            assertEquals("0.5", f.metadata().get("preprocessing.mean"));
        }
        err = Console.stderrOf(() -> Console.stdoutOf(() -> assertEquals(0, Main.run("infer", exported.toString(), "--data-dir",
                data.toString(), "--no-download", "--limit", "64", "--workers", "1"))));
        assertTrue(err.contains("preprocessing: pixels/255, mean (0.5), std (0.25) (recorded in " + exported + ")"), err);
    }

    @Test
    void aCheckpointWithoutPreprocessingUsesTheDataSetsAndSaysSo() {
        Path data = SharedData.datasets();
        Path plain = tmp.resolve("plain.safetensors");
        Checkpoint.save(plain, new MnistCnn(new Rng(0)), null, null, 1, null, Map.of());
        String err = Console.stderrOf(() -> Console.stdoutOf(() -> assertEquals(0, Main.run("eval", "--checkpoint", plain.toString(),
                "--model", "mnist-cnn", "--dataset", "mnist", "--data-dir", data.toString(), "--no-download", "--limit", "32",
                "--workers", "1"))));
        assertTrue(err.contains("preprocessing: pixels/255, mean (0.1307), std (0.3081) (mnist statistics: plain.safetensors records none)"), err);
    }
}
