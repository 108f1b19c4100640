package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqat.core.io.SafetensorsWriter;
import org.jqat.core.testing.GoldenDir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line runs the golden cases and reports through its exit status. */
class ConformanceCommandTest {

    @Test
    void goldenCasesPassOnTheReferenceBackend() {
        int[] status = new int[1];
        String out = Console.stdoutOf(() -> status[0] = Main.run("conformance", GoldenDir.locate().toString()));
        System.out.print(out);
        assertEquals(0, status[0], out);
        assertTrue(out.lines().anyMatch(l -> l.matches("\\d+ passed, 0 failed, \\d+ skipped")), out);
    }

    @Test
    void aWrongExpectationFailsTheRun(@TempDir Path dir) throws Exception {
        new SafetensorsWriter().metadata("op", "relu")
                .add("x", new float[] {-1, 2}, 2).add("y", new float[] {0, 3}, 2)
                .add("grad_y", new float[] {1, 1}, 2).add("grad_x", new float[] {0, 1}, 2)
                .write(dir.resolve("relu_wrong.safetensors"));
        Files.writeString(dir.resolve("notes.txt"), "not a case");
        int[] status = new int[1];
        String out = Console.stdoutOf(() -> status[0] = Main.run("conformance", dir.toString(), "--backend", "reference"));
        assertNotEquals(0, status[0], out);
        assertTrue(out.contains("FAIL") && out.contains("relu_wrong") && out.contains("0 passed, 1 failed, 0 skipped"), out);
    }

    @Test
    void unknownBackendIsRejected() {
        assertNotEquals(0, Main.run("conformance", ".", "--backend", "nope"));
    }
}
