package org.jqat.nn.sched;

import org.jqat.nn.optim.Optimizer;

/**
 * Cosine annealing, {@code CosineAnnealingLR}'s closed form
 * {@code lr = eta_min + (base − eta_min)·(1 + cos(π·t/T))/2}, optionally after a linear
 * warm-up of {@code warmup} steps from {@code warmupStartFactor·base} to {@code base}; the
 * cosine then runs over the remaining {@code T − warmup} steps.
 */
public final class CosineAnnealingLR extends LRScheduler {
    public final int tMax;
    public final double etaMin;
    public final int warmup;
    public final double warmupStartFactor;

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin, int warmup, double warmupStartFactor) {
        super(optimizer);
        if (tMax <= 0 || warmup < 0 || warmup >= tMax) {
            throw new IllegalArgumentException("need 0 <= warmup < tMax, got warmup " + warmup + ", tMax " + tMax);
        }
        this.tMax = tMax;
        this.etaMin = etaMin;
        this.warmup = warmup;
        this.warmupStartFactor = warmupStartFactor;
        init();
    }

    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin) {
        this(optimizer, tMax, etaMin, 0, 0);
    }

    @Override
    public double lrAt(double base, int t) {
        if (t < warmup) {
            return base * (warmupStartFactor + (1 - warmupStartFactor) * t / warmup);
        }
        return cosine(base, etaMin, t - warmup, tMax - warmup);
    }

    /** The closed-form cosine rate at step t of T. */
    public static double cosine(double base, double etaMin, int t, int tMax) {
        return etaMin + (base - etaMin) * (1 + Math.cos(Math.PI * t / tMax)) / 2;
    }
}
