package org.jqat.qat.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jqat.core.backend.Backends;
import org.junit.jupiter.api.Test;

/**
 * jqat on a class path without {@code --add-modules jdk.incubator.vector}: the cpu backend says why
 * it cannot run, the reference backend takes over with a single warning, and everything (training,
 * export, integer inference) still works.
 */
class NoVectorApiTest {
    @Test
    void classPathWithoutTheVectorModuleFallsBackWithOneWarning() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // No --add-modules, and the default backend choice (no -Djqat.backend).
        List<String> cmd = List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), NoVectorApiRun.class.getName());
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
        String stdout = new String(out, StandardCharsets.UTF_8);
        String stderr = new String(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), stdout + stderr);
        assertTrue(stdout.contains("cpu unavailable: the JVM has not resolved module jdk.incubator.vector: "
                + "start the JVM with --add-modules jdk.incubator.vector"), stdout);
        assertTrue(stdout.contains("host backend: reference"), stdout);
        assertTrue(stdout.contains("loss finite: true") && stdout.contains("integer classes: 4") && stdout.contains("done"), stdout);
        assertEquals(1, stderr.split("is not available; host ops run on the 'reference' backend", -1).length - 1,
                "exactly one warning: " + stderr);
        assertTrue(stderr.contains("--add-modules jdk.incubator.vector"), stderr);
        assertTrue(!stderr.contains("NoClassDefFoundError"), stderr);
    }

    @Test
    void withTheModuleTheCpuBackendIsAvailable() {
        // This JVM (Surefire's) runs with --add-modules jdk.incubator.vector.
        assertEquals(null, Backends.get("cpu").unavailableReason());
    }
}
