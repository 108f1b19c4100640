package org.jqat.kernels.cpu;

/**
 * Splits [0, n) into fixed chunks of {@code grain} and runs them on the shared pool. The chunking
 * depends only on n and grain, never on the thread count, so any per-chunk arithmetic (and any
 * per-chunk partial sums combined in chunk order) is reproducible.
 */
final class Parallel {
    private Parallel() {
    }

    /** A half-open index range [lo, hi). */
    @FunctionalInterface
    interface Range {
        void run(int lo, int hi);
    }

    static int chunks(int n, int grain) {
        return n <= 0 ? 0 : (n + grain - 1) / grain;
    }

    static void forRange(int n, int grain, Range body) {
        int parts = chunks(n, grain);
        if (parts <= 1) {
            if (n > 0) {
                body.run(0, n);
            }
            return;
        }
        WorkerPool.SHARED.run(parts, p -> body.run(p * grain, Math.min(n, (p + 1) * grain)));
    }
}
