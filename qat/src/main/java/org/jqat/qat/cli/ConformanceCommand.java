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

    @Option(names = "--backend", paramLabel = "NAME", description = "Backend to run on (default: the fastest available, now ${DEFAULT-VALUE}).")
    String backend = Backends.cpu().name();

    @Override
    public Integer call() {
        Backend b = Backends.get(backend);
        System.out.println("backend: " + b.describe());
        ConformanceRunner.Summary s = new ConformanceRunner().run(dir, b, System.out);
        return s.failed() == 0 ? 0 : 1;
    }
}
