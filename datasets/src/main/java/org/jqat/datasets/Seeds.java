package org.jqat.datasets;

import org.jqat.core.Rng;

/**
 * Derives independent seeds from (seed, epoch[, sample]) by SplitMix64 finalisation. Each
 * sample's augmentation generator depends only on these numbers, never on which thread or in
 * which order it was drawn, so batches are identical for any number of loader workers.
 */
public final class Seeds {
    private Seeds() {}

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Seed of the shuffle of {@code epoch}. */
    public static long epochSeed(long seed, int epoch) {
        return mix(mix(seed + 0x9E3779B97F4A7C15L) ^ (epoch * 0xD1B54A32D192ED03L + 0x1234567L));
    }

    /** Generator for the augmentation of dataset sample {@code sample} in {@code epoch}. */
    public static Rng sampleRng(long seed, int epoch, int sample) {
        return new Rng(mix(epochSeed(seed, epoch) ^ mix(sample * 0xAEF17502108EF2D9L + 0x5DEECE66DL)));
    }
}
