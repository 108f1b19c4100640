package org.jqat.qat.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.conformance.ConformanceRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jqat conformance DIR}: checks the engine against a directory of PyTorch golden cases. */
@Command(name = "conformance", mixinStandardHelpOptions = true,
        description = {"Runs every *.safetensors golden case under DIR (forward and backward) and prints one line per case",
            "and a closing 'N passed, M failed, K skipped' line. Exits 1 when a case fails."})
final class ConformanceCommand implements Callable<Integer> {

    @Parameters(paramLabel = "DIR", description = "Directory of golden cases (searched recursively).")
    Path dir;

    /*
     * The reference backend is the default: conformance checks the engine's definition of each op
     * against PyTorch, and the reference accumulates in double, so a case that is sensitive to
     * float32 rounding (whole-network gradients are) checks the definition, not the rounding.
     * Fast backends are checked with --backend.
     */
    @Option(names = "--backend", paramLabel = "NAME", description = "Backend to run on (default: ${DEFAULT-VALUE}, the scalar oracle; e.g. 'cpu' for the SIMD backend).")
    String backend = "reference";

    @Override
    public Integer call() {
        Backend b = Backends.get(backend);
        System.out.println("backend: " + b.describe());
        if (!java.nio.file.Files.isDirectory(dir)) {
            throw new IllegalArgumentException("DIR " + dir + " is not a directory");
        }
        ConformanceRunner.Summary s = new ConformanceRunner().run(dir, b, System.out);
        if (s.passed() + s.failed() == 0) {
            // "0 passed, 0 failed" would read as success: a wrong path checks nothing.
            System.err.println("jqat conformance: no golden case ran under " + dir + " (no .safetensors case found"
                    + (s.skipped() > 0 ? ", or every case was skipped" : "") + ")");
            return 1;
        }
        return s.failed() == 0 ? 0 : 1;
    }
}
