package org.jqat.kernels.cuda;

import java.util.Map;

/**
 * Runs the CUDA backend without a GPU, for tests and for checking a harness before a device is
 * at hand: while installed, {@code Device.CUDA} tensors live in heap buffers, copies are real,
 * and every kernel launch is checked against the parameter list its PTX declares and counted,
 * but not run. Results of kernels are therefore meaningless; what is real is everything around
 * them: launch arguments, allocation and release of device memory (the caching allocator and its
 * counters), and host round trips ({@link CudaBackend#hostSyncs()}).
 *
 * <pre>{@code
 * try (CudaDryRun dry = CudaDryRun.install(1L << 30)) {
 *     Tensor x = Tensor.ones(4, 4).to(Device.CUDA);   // no GPU needed
 *     ...
 *     dry.launched();                                // kernel name -> launches
 * }
 * }</pre>
 *
 * <p>Process-wide: it replaces the probed CUDA device for every thread until closed, so tests
 * that install it must not run concurrently with tests that need the real device or its absence.
 */
public final class CudaDryRun implements AutoCloseable {
    private final DryRunRuntime runtime;
    private final CudaProbe.Result previous;
    private boolean closed;

    private CudaDryRun(DryRunRuntime runtime, CudaProbe.Result previous) {
        this.runtime = runtime;
        this.previous = previous;
    }

    /** Installs a dry-run device of {@code capacityBytes} (allocations beyond it fail as out of memory). */
    public static CudaDryRun install(long capacityBytes) {
        DryRunRuntime rt = new DryRunRuntime(capacityBytes);
        return new CudaDryRun(rt, CudaProbe.override(new CudaProbe.Result(rt, null)));
    }

    /** Launches per kernel name since install. */
    public Map<String, Long> launched() {
        return runtime.launched();
    }

    /** Restores the probed device (or its absence). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            CudaProbe.override(previous);
        }
    }
}
