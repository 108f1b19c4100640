package org.jqat.nn.conformance;

import org.jqat.core.testing.GoldenDir;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.jqat.core.conformance.CaseResult;
import org.jqat.core.conformance.ConformanceRunner;
import org.jqat.core.io.SafetensorsFile;
import org.junit.jupiter.api.Test;

/** The whole golden directory runs with no failure, and the nn ops' cases pass. */
class NnConformanceTest {

    @Test
    void goldenDirectoryPasses() {
        var dir = GoldenDir.locate();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner.Summary s;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = new ConformanceRunner().run(dir, out);
        }
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.print(report);
        assertEquals(0, s.failed(), report);
        Set<String> passedOps = new HashSet<>();
        s.results().forEach((file, r) -> {
            if (r.status() == CaseResult.Status.PASS) {
                try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(file))) {
                    passedOps.add(f.metadata().get("op"));
                }
            }
        });
        for (String op : new NnCases().ops()) {
            assertTrue(passedOps.contains(op), op + " had no passing case:\n" + report);
            assertTrue(!s.skippedOps().contains(op), op + " was skipped:\n" + report);
        }
    }
}
