package org.jqat.core.backend;

/**
 * One bit per element, written by a fake-quantize forward: set where the input fell inside the
 * quantization range (so the straight-through gradient passes). 32x smaller than saving the
 * input, 8x smaller than PyTorch's byte mask.
 */
public abstract class BitMask implements AutoCloseable {

    /** Number of elements covered. */
    public abstract int size();

    /** Whether element i was inside the range; for tests and debugging (may be slow on a device). */
    public abstract boolean get(int i);

    @Override
    public void close() {
    }
}
