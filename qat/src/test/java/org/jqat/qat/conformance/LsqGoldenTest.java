package org.jqat.qat.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ServiceLoader;
import java.util.stream.Stream;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.ReferenceBackend;
import org.jqat.core.conformance.CaseHandler;
import org.jqat.core.conformance.ConformanceRunner;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.testing.GoldenDir;
import org.junit.jupiter.api.Test;

/** The golden lsq cases pass on the reference backend and on the default (fastest) backend. */
class LsqGoldenTest {

    /** A directory holding only the lsq cases of the golden directory (links, so hidden cases count too). */
    private static Path lsqCases() throws Exception {
        Path golden = GoldenDir.locate();
        Path dir = Files.createTempDirectory("lsq-golden");
        int n = 0;
        try (Stream<Path> walk = Files.walk(golden)) {
            for (Path p : walk.filter(f -> f.toString().endsWith(".safetensors")).toList()) {
                String op;
                try (SafetensorsFile f = SafetensorsFile.open(p)) {
                    op = f.metadata().get("op");
                }
                if ("lsq".equals(op)) {
                    Files.copy(p, dir.resolve(n++ + "_" + p.getFileName()));
                }
            }
        }
        assertTrue(n > 0, "no lsq cases under " + golden);
        return dir;
    }

    private static void runOn(Backend backend) throws Exception {
        Path dir = lsqCases();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner.Summary s;
        try (PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            s = new ConformanceRunner().register(new QatCases()).run(dir, backend, out);
        }
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.print("[" + backend.name() + "]\n" + report);
        assertEquals(0, s.failed(), report);
        assertEquals(0, s.skipped(), report);
        assertTrue(s.passed() > 0, report);
    }

    @Test
    void referenceBackend() throws Exception {
        runOn(new ReferenceBackend());
    }

    @Test
    void defaultBackend() throws Exception {
        runOn(Backends.cpu());
    }

    @Test
    void handlerIsRegistered() {
        boolean found = false;
        for (CaseHandler h : ServiceLoader.load(CaseHandler.class)) {
            found |= h instanceof QatCases;
        }
        assertTrue(found, "QatCases is not in META-INF/services");
    }
}
