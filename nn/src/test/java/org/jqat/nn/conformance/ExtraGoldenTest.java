package org.jqat.nn.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jqat.core.conformance.ConformanceRunner;
import org.junit.jupiter.api.Test;

/**
 * nn's own PyTorch cases (made by {@code src/test/python/make_golden.py}): CIFAR ResNets of
 * depths 8 and 14 with option-A and option-B shortcuts, other BN settings and class counts;
 * SGD with Nesterov, dampening and more steps; cosine LR with eta_min and past t_max.
 */
class ExtraGoldenTest {

    @Test
    void extraCasesPass() throws URISyntaxException {
        Path dir = Path.of(ExtraGoldenTest.class.getResource("/golden/sgd_plain.safetensors").toURI()).getParent();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner.Summary s;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = new ConformanceRunner().run(dir, out);
        }
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.print(report);
        assertEquals(0, s.failed(), report);
        assertEquals(0, s.skipped(), report);
        assertEquals(8, s.passed(), report);
    }
}
