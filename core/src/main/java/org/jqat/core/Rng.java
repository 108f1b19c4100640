package org.jqat.core;

/**
 * A small, fast, seedable generator (SplitMix64) whose sequence is fixed by this class alone,
 * so the same seed gives the same tensors on every JVM and platform. Gaussian samples use
 * Box-Muller. Not thread-safe: give each thread its own.
 */
public final class Rng {
    private static final Rng GLOBAL = new Rng(0x5eedL);

    private long state;
    private double spareGaussian;
    private boolean hasSpare;

    public Rng(long seed) {
        this.state = seed;
    }

    /** The generator used by factories that take no {@code Rng}; reseed it with {@link #manualSeed}. */
    public static Rng global() {
        return GLOBAL;
    }

    /** Reseeds the global generator, as {@code torch.manual_seed}. */
    public static void manualSeed(long seed) {
        synchronized (GLOBAL) {
            GLOBAL.setState(seed, false, 0);
        }
    }

    /** The full state, so a training run can save and restore it for exact resume. */
    public long[] state() {
        return new long[] {state, hasSpare ? 1 : 0, Double.doubleToRawLongBits(spareGaussian)};
    }

    /** Restores a state from {@link #state()}. */
    public void restore(long[] saved) {
        if (saved.length != 3) {
            throw new IllegalArgumentException("Rng state must have 3 longs, got " + saved.length);
        }
        setState(saved[0], saved[1] != 0, Double.longBitsToDouble(saved[2]));
    }

    private void setState(long s, boolean spare, double spareValue) {
        state = s;
        hasSpare = spare;
        spareGaussian = spareValue;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1) with 24 random bits. */
    public float nextFloat() {
        return (nextLong() >>> 40) * 0x1.0p-24f;
    }

    /** Uniform in [0, 1) with 53 random bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        // Lemire's multiply-shift; the tiny bias is irrelevant for shuffling and augmentation.
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** Standard normal sample. */
    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u1;
        do {
            u1 = nextDouble();
        } while (u1 <= 0);
        double u2 = nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1));
        spareGaussian = r * Math.sin(2 * Math.PI * u2);
        hasSpare = true;
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** Fisher-Yates shuffle of {@code 0..n-1}. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
