package org.jqat.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.jqat.core.conformance.ConformanceRunner;
import org.jqat.core.testing.GoldenDir;
import org.junit.jupiter.api.Test;

/** The PyTorch golden cases of every core op pass on the SIMD backend too. */
class CpuConformanceTest {

    @Test
    void coreOpsMatchPyTorchOnTheCpuBackend() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner.Summary s;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = new ConformanceRunner().run(GoldenDir.locate(), new CpuBackend(), out);
        }
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.print(report);
        assertEquals(0, s.failed(), report);
        assertTrue(s.passed() >= 9, report);
    }
}
