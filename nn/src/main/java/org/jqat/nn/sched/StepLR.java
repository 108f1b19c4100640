package org.jqat.nn.sched;

import org.jqat.nn.optim.Optimizer;

/** {@code lr = base·γ^⌊t/stepSize⌋}, as {@code StepLR}. */
public final class StepLR extends LRScheduler {
    public final int stepSize;
    public final double gamma;

    public StepLR(Optimizer optimizer, int stepSize, double gamma) {
        super(optimizer);
        if (stepSize <= 0) {
            throw new IllegalArgumentException("step size must be positive: " + stepSize);
        }
        this.stepSize = stepSize;
        this.gamma = gamma;
        init();
    }

    @Override
    public double lrAt(double base, int t) {
        return base * Math.pow(gamma, t / stepSize);
    }
}
