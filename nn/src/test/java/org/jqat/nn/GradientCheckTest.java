package org.jqat.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.layers.AvgPool2d;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.ReLU;
import org.jqat.nn.loss.CrossEntropyLoss;
import org.junit.jupiter.api.Test;

/** Autograd through a small network agrees with central finite differences. */
class GradientCheckTest {

    @Test
    void smallNetworkGradientsMatchFiniteDifferences() {
        Rng rng = new Rng(21);
        Sequential net = new Sequential(new Conv2d(2, 3, 3, 1, 1, true, rng), new BatchNorm2d(3), new ReLU(),
                new AvgPool2d(2), new Flatten(), new Linear(3 * 2 * 2, 4, rng));
        Tensor x = Tensor.randn(rng, 3, 2, 4, 4);
        int[] y = {0, 3, 1};
        CrossEntropyLoss ce = new CrossEntropyLoss();
        net.zeroGrad();
        ce.forward(net.forward(x), y).backward();
        int checked = 0;
        for (Map.Entry<String, Tensor> e : net.namedParameters().entrySet()) {
            Tensor p = e.getValue();
            float[] analytic = p.grad().toFloatArray();
            for (int i = 0; i < p.numel(); i += Math.max(1, p.numel() / 6)) {
                double numeric = (lossWith(net, ce, x, y, p, i, 1e-2f) - lossWith(net, ce, x, y, p, i, -1e-2f)) / 2e-2;
                assertEquals(numeric, analytic[i], 2e-3 + 2e-2 * Math.abs(numeric), e.getKey() + "[" + i + "]");
                checked++;
            }
        }
        assertEquals(true, checked > 20);
    }

    /** The loss with element i of p shifted by h (the BN running statistics move but are not used in training mode). */
    private static double lossWith(Sequential net, CrossEntropyLoss ce, Tensor x, int[] y, Tensor p, int i, float h) {
        float[] v = p.toFloatArray();
        float old = v[i];
        v[i] = old + h;
        try (var ng = Autograd.noGrad()) {
            p.copyFrom_(Tensor.of(v, p.shape()));
            double loss = ce.forward(net.forward(x), y).item();
            v[i] = old;
            p.copyFrom_(Tensor.of(v, p.shape()));
            return loss;
        }
    }
}
