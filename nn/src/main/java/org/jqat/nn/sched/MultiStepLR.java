package org.jqat.nn.sched;

import java.util.Arrays;
import org.jqat.nn.optim.Optimizer;

/** {@code lr = base·γ^(number of milestones ≤ t)}, as {@code MultiStepLR}. */
public final class MultiStepLR extends LRScheduler {
    private final int[] milestones;
    public final double gamma;

    public MultiStepLR(Optimizer optimizer, int[] milestones, double gamma) {
        super(optimizer);
        this.milestones = milestones.clone();
        Arrays.sort(this.milestones);
        this.gamma = gamma;
        init();
    }

    public int[] milestones() {
        return milestones.clone();
    }

    @Override
    public double lrAt(double base, int t) {
        int passed = 0;
        for (int m : milestones) {
            passed += t >= m ? 1 : 0;
        }
        return base * Math.pow(gamma, passed);
    }
}
