package org.jqat.kernels.cpu;

/**
 * Grow-only per-thread float buffers, so conv loops reuse their im2col columns instead of
 * allocating a fresh array per image. Contents are garbage between uses; callers overwrite.
 */
final class Scratch {
    private static final ThreadLocal<float[][]> BUFFERS = ThreadLocal.withInitial(() -> new float[12][]);

    private Scratch() {
    }

    /** Buffer {@code slot} (0..11) of the calling thread with at least {@code size} elements. */
    static float[] get(int slot, int size) {
        float[][] mine = BUFFERS.get();
        float[] b = mine[slot];
        if (b == null || b.length < size) {
            b = new float[Math.max(size, b == null ? 0 : b.length + b.length / 2)];
            mine[slot] = b;
        }
        return b;
    }
}
