package org.jqat.kernels.cpu;

/**
 * Sums over the batch (weight gradients) cut into fixed slices of images: each slice sums its
 * images into its own partial, threads claim slices as they come free, and the partials are
 * added in slice order. The slices depend on the batch, the map size and the kernel's fixed cost
 * per slice, not on which thread ran them, so the result is deterministic (for batches large
 * enough for {@link #MAX_SLICES} slices, independent of the thread count too).
 *
 * <p>Several slices per thread, rather than one, matter on a shared host: a worker woken
 * 0.15–0.25 ms after the caller used to leave the caller waiting for the worker's whole last
 * slice; with slices claimed dynamically the caller takes more of them instead.
 */
final class BatchSlices {
    /** Slices at most: each costs a zeroing of its accumulators and one more partial to add. */
    static final int MAX_SLICES = 8;
    /**
     * Output positions per slice at least for kernels whose accumulators are the gradient itself
     * (zeroing, copying out and adding a partial cost about three passes over it, against one
     * product per tap and channel per position): their fixed costs stay a few percent.
     */
    static final int MIN_POSITIONS = 1024;
    /** The caller's {@link Scratch} slot holding slices 1.. (slice 0 sums into the result itself). */
    private static final int PARTIALS = 10;

    private BatchSlices() {
    }

    /** One slice: images [lo, hi) summed into {@code out[outOff, outOff + size)}, overwriting it. */
    @FunctionalInterface
    interface Slice {
        void run(int lo, int hi, float[] out, int outOff);
    }

    /**
     * The number of slices for a batch of n images of {@code positions} output positions each,
     * each slice holding at least {@code minPositions} of them (but one slice per thread at least).
     */
    static int count(int n, int positions, int minPositions) {
        long byWork = (long) n * positions / minPositions;
        int wanted = (int) Math.max(WorkerPool.SHARED.threads(), Math.min(MAX_SLICES, byWork));
        return Math.max(1, Math.min(n, wanted));
    }

    /** Runs the slices of [0, n) on the shared pool and leaves their sum in {@code result[0, size)} (see {@link #count}). */
    static void sum(int n, int positions, int minPositions, int size, float[] result, Slice body) {
        int slices = count(n, positions, minPositions);
        float[] partials = slices > 1 ? Scratch.get(PARTIALS, (slices - 1) * size) : null;
        WorkerPool.SHARED.run(slices, t -> {
            int lo = (int) ((long) n * t / slices), hi = (int) ((long) n * (t + 1) / slices);
            if (t == 0) {
                body.run(lo, hi, result, 0);
            } else {
                body.run(lo, hi, partials, (t - 1) * size);
            }
        });
        for (int t = 1; t < slices; t++) {
            ElementwiseKernels.addInto(partials, (t - 1) * size, result, 0, size);
        }
    }
}
