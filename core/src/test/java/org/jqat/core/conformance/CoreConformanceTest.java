package org.jqat.core.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.jqat.core.backend.ReferenceBackend;
import org.jqat.core.testing.GoldenDir;
import org.junit.jupiter.api.Test;

/** Every golden case of a core op passes on the reference backend. */
class CoreConformanceTest {

    @Test
    void coreOpsMatchPyTorch() {
        Path dir = GoldenDir.locate();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner.Summary s;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = new ConformanceRunner().run(dir, new ReferenceBackend(), out);
        }
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.print(report);
        int coreCases = 0;
        for (Map.Entry<String, CaseResult> e : s.results().entrySet()) {
            CaseResult r = e.getValue();
            if (r.status() == CaseResult.Status.FAIL) {
                throw new AssertionError(e.getKey() + " failed: " + r.detail() + "\n" + report);
            }
            coreCases += r.status() == CaseResult.Status.PASS ? 1 : 0;
        }
        assertEquals(0, s.failed(), report);
        assertTrue(coreCases >= 1, "no case passed:\n" + report);
        for (String op : new CoreCases().ops()) {
            assertTrue(!s.skippedOps().contains(op), op + " was skipped");
        }
    }
}
