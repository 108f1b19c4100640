/**
 * The SIMD, multithreaded CPU backend ({@code cpu}), built on {@code jdk.incubator.vector}.
 * {@link org.jqat.core.backend.Backends} finds it through {@link java.util.ServiceLoader};
 * {@link org.jqat.kernels.cpu.CpuBackend} is exported so that it can also be named directly.
 */
module org.jqat.kernels.cpu {
    requires transitive org.jqat.core;
    requires jdk.incubator.vector;

    exports org.jqat.kernels.cpu;

    provides org.jqat.core.backend.Backend with org.jqat.kernels.cpu.CpuBackend;
}
