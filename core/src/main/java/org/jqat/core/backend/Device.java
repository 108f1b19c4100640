package org.jqat.core.backend;

/** Where a tensor's memory lives. */
public enum Device {
    /** The Java heap; served by the reference and SIMD backends. */
    CPU,
    /** NVIDIA GPU memory; served by the CUDA backend. */
    CUDA
}
