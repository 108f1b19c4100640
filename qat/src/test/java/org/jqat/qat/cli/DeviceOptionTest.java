package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --device}: cuda without a GPU fails at once, in one line, with the backend's reason. */
class DeviceOptionTest {

    /** The CUDA backend's reason for being unavailable; skips the test when a GPU is usable. */
    private static String cudaUnavailableReason() {
        for (Backend b : Backends.all()) {
            if (b.device() == Device.CUDA) {
                String why = b.unavailableReason();
                Assumptions.assumeTrue(why != null, "a GPU is usable here: --device cuda would train");
                return why;
            }
        }
        return null;
    }

    @Test
    void cudaWithoutAGpuFailsBeforeAnythingRuns(@TempDir Path dir) throws Exception {
        String why = cudaUnavailableReason();
        Path out = dir.resolve("run");
        String[][] commands = {
            {"train", "--device", "cuda", "--out", out.toString(), "--data-dir", dir.resolve("none").toString(), "--no-download"},
            {"qat", "--device", "cuda", "--teacher", dir.resolve("missing.safetensors").toString(), "--out", out.toString(),
                "--data-dir", dir.resolve("none").toString(), "--no-download"},
            {"reproduce", "--device", "cuda", "--out", out.toString(), "--data-dir", dir.resolve("none").toString(), "--no-download"},
            {"eval", "--device", "cuda", "--checkpoint", dir.resolve("missing.safetensors").toString(),
                "--data-dir", dir.resolve("none").toString(), "--no-download"},
        };
        for (String[] cmd : commands) {
            String err = Console.stderrOf(() -> assertEquals(1, Main.run(cmd), String.join(" ", cmd)));
            assertTrue(err.startsWith("jqat " + cmd[0] + ": --device cuda: "), err);
            assertEquals(1, err.strip().lines().count(), "one line: " + err);
            if (why != null) {
                assertTrue(err.contains(DeviceOption.oneLine(why)), err);
            }
            assertTrue(!Files.exists(out), cmd[0] + " wrote " + out);
        }
    }

    @Test
    void backendCudaPointsToDeviceAndBadDevicesAreRejected() {
        String err = Console.stderrOf(() -> assertEquals(2, Main.run("train", "--device", "tpu")));
        assertTrue(err.contains("--device must be cpu or cuda"), err);
        Assumptions.assumeTrue(Backends.all().stream().anyMatch(b -> b.name().equals("cuda")), "no cuda backend on the class path");
        err = Console.stderrOf(() -> assertEquals(2, Main.run("train", "--backend", "cuda")));
        assertTrue(err.contains("use --device cuda"), err);
    }
}
