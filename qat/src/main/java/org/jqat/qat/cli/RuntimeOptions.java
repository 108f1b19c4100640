package org.jqat.qat.cli;

import org.jqat.core.Threads;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import org.jqat.datasets.DataLocation;
import org.jqat.datasets.DatasetRegistry;
import picocli.CommandLine.Option;

/** Options every compute command shares: backend, threads, where data lives. */
final class RuntimeOptions {
    /** More threads than this only cost memory (each has a stack and scratch buffers), never speed. */
    static final int MAX_THREADS = 1024;

    @Option(names = "--backend", paramLabel = "NAME", description = "Backend for host ops: cpu (SIMD, default when present) or reference. "
            + "The GPU is not a host backend: train on it with --device cuda.")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads of the cpu backend (default: all processors).")
    Integer threads;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Where data sets live (default: $JQAT_DATA, else ~/.cache/jqat); missing sets are downloaded there.")
    String dataDir;

    @Option(names = "--no-download", description = "Fail instead of downloading a missing data set.")
    boolean noDownload;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "2", description = "Background threads decoding and augmenting batches (default: ${DEFAULT-VALUE}).")
    int workers;

    /** Applies backend and thread settings; thread count applies from the next parallel loop. */
    void apply() {
        if (threads != null) {
            if (threads < 1 || threads > MAX_THREADS) {
                throw new IllegalArgumentException("--threads must be between 1 and " + MAX_THREADS + ", got " + threads);
            }
            Threads.set(threads);
        }
        if (workers < 1 || workers > MAX_THREADS) {
            throw new IllegalArgumentException("--workers must be between 1 and " + MAX_THREADS + ", got " + workers);
        }
        if (backend != null) {
            for (Backend b : Backends.all()) {
                if (b.name().equalsIgnoreCase(backend) && b.device() != Device.CPU) {
                    throw new IllegalArgumentException("--backend " + backend + " runs on " + b.device()
                            + ", not on the host: use --device " + b.device().name().toLowerCase(java.util.Locale.ROOT)
                            + " (host ops keep the default --backend)");
                }
            }
            Backends.use(backend);
        }
    }

    DatasetRegistry registry() {
        DataLocation loc = DataLocation.resolve(dataDir);
        return new DatasetRegistry(loc.root()).withDownload(!noDownload);
    }
}
