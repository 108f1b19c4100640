package org.jqat.nn.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.jqat.core.Tensor;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.nn.optim.SGD;
import org.junit.jupiter.api.Test;

/** Learning-rate schedules as PyTorch's, per group, and their saved state. */
class SchedulerTest {

    private static SGD opt(double... lrs) {
        List<ParamGroup> groups = new java.util.ArrayList<>();
        for (double lr : lrs) {
            groups.add(new ParamGroup("g" + groups.size(), List.of(Tensor.zeros(1).requiresGrad(true)), lr, 0));
        }
        return new SGD(groups, 0.9, 0, false);
    }

    @Test
    void cosineMatchesClosedFormPerGroup() {
        SGD o = opt(0.1, 0.01);
        CosineAnnealingLR s = new CosineAnnealingLR(o, 10, 0.001);
        for (int t = 0; t <= 10; t++) {
            assertEquals(0.001 + (0.1 - 0.001) * (1 + Math.cos(Math.PI * t / 10)) / 2, s.lr(0), 1e-12);
            assertEquals(0.001 + (0.01 - 0.001) * (1 + Math.cos(Math.PI * t / 10)) / 2, s.lr(1), 1e-12);
            s.step();
        }
        // PyTorch's values at epochs 0, 5, 10 for base 0.1, eta_min 0.001: 0.1, 0.0505, 0.001.
        assertEquals(0.0505, CosineAnnealingLR.cosine(0.1, 0.001, 5, 10), 1e-12);
    }

    @Test
    void cosineWithLinearWarmupPerIteration() {
        SGD o = opt(1.0);
        CosineAnnealingLR s = new CosineAnnealingLR(o, 100, 0, 10, 0.1);
        assertEquals(0.1, s.lr(0), 1e-12);
        for (int i = 0; i < 5; i++) {
            s.step();
        }
        assertEquals(0.1 + 0.9 * 5 / 10.0, s.lr(0), 1e-12);
        for (int i = 5; i < 10; i++) {
            s.step();
        }
        assertEquals(1.0, s.lr(0), 1e-12);
        for (int i = 10; i < 55; i++) {
            s.step();
        }
        assertEquals(0.5, s.lr(0), 1e-12);
    }

    @Test
    void stepAndMultiStep() {
        StepLR s = new StepLR(opt(0.1), 3, 0.5);
        double[] want = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025};
        for (double w : want) {
            assertEquals(w, s.lr(0), 1e-12);
            s.step();
        }
        MultiStepLR m = new MultiStepLR(opt(1.0), new int[] {4, 2}, 0.1);
        double[] want2 = {1, 1, 0.1, 0.1, 0.01, 0.01};
        for (double w : want2) {
            assertEquals(w, m.lr(0), 1e-12);
            m.step();
        }
    }

    @Test
    void stateRestoresTheStep() {
        SGD o = opt(0.1);
        CosineAnnealingLR s = new CosineAnnealingLR(o, 20, 0);
        for (int i = 0; i < 7; i++) {
            s.step();
        }
        var saved = s.stateDict();
        SGD o2 = opt(0.1);
        CosineAnnealingLR s2 = new CosineAnnealingLR(o2, 20, 0);
        s2.loadStateDict(saved);
        assertEquals(7, s2.lastEpoch());
        assertEquals(s.lr(0), o2.groups().get(0).lr(), 1e-15);
        s.step();
        s2.step();
        assertEquals(s.lr(0), s2.lr(0), 1e-15);
    }
}
