package org.jqat.kernels.cpu;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.jqat.core.backend.HeapStorage;

/**
 * Recycles the arrays of the cpu backend's storages. A training step runs inside a
 * {@link org.jqat.core.TensorScope}; when it ends, the activations and gradients it made are
 * closed and their arrays come back here, keyed by exact length, and the next step (which asks
 * for the same sizes) takes them again instead of allocating. Without a scope nothing is closed
 * and arrays are simply left to the collector, as before.
 *
 * <p>The pool holds at most {@link #capacity} floats (a quarter of the maximum heap by default,
 * {@code jqat.pool.mb} to change it, 0 to disable); arrays beyond that go to the collector.
 * Reused arrays are zeroed, as {@code Backend.allocate} promises, except for
 * {@code allocateUninitialized}.
 */
final class HeapPool {
    static final HeapPool SHARED = new HeapPool(defaultCapacity());

    private final long capacity;
    private final Map<Integer, ArrayDeque<float[]>> free = new HashMap<>();
    private long held;

    HeapPool(long capacityFloats) {
        this.capacity = Math.max(0, capacityFloats);
    }

    private static long defaultCapacity() {
        String mb = System.getProperty("jqat.pool.mb");
        if (mb != null && !mb.isBlank()) {
            try {
                return Long.parseLong(mb.trim()) * (1 << 20) / Float.BYTES;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("jqat.pool.mb must be a whole number of MiB, got " + mb, e);
            }
        }
        return Runtime.getRuntime().maxMemory() / 4 / Float.BYTES;
    }

    /** A zero-filled storage of {@code size} elements, its array from the pool when one fits. */
    HeapStorage allocate(int size) {
        return allocate(size, true);
    }

    /**
     * A storage of {@code size} elements from the pool when one fits; a reused array is zeroed only
     * when asked ({@code Backend.allocateUninitialized} skips it for outputs a kernel overwrites).
     */
    HeapStorage allocate(int size, boolean zeroed) {
        float[] a = take(size);
        if (a == null) {
            a = new float[size];
        } else if (zeroed) {
            Arrays.fill(a, 0f);
        }
        return HeapStorage.recycled(a, this::give);
    }

    private synchronized float[] take(int size) {
        ArrayDeque<float[]> q = free.get(size);
        float[] a = q == null ? null : q.pollLast();
        if (a != null) {
            held -= size;
        }
        return a;
    }

    private synchronized void give(float[] a) {
        if (held + a.length > capacity) {
            return;
        }
        free.computeIfAbsent(a.length, k -> new ArrayDeque<>()).addLast(a);
        held += a.length;
    }

    /** Floats held for reuse now. */
    synchronized long heldFloats() {
        return held;
    }
}
