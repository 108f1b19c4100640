package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.junit.jupiter.api.Test;

/** A small conv net's forward and backward on both backends: every gradient must agree. */
class EndToEndTest {

    /** Runs conv → bn → relu → maxpool → fake-quant → linear → cross-entropy; returns loss then all grads. */
    private static List<float[]> run(Backend backend) {
        try (var scope = Backends.using(backend)) {
            Rng rng = new Rng(7);
            Tensor x = Tensor.randn(rng, 4, 3, 12, 12);
            Tensor w1 = Tensor.randn(rng, 8, 3, 3, 3).mul(0.3f).detach().requiresGrad(true);
            Tensor b1 = Tensor.randn(rng, 8).mul(0.1f).detach().requiresGrad(true);
            Tensor gamma = Tensor.ones(8).requiresGrad(true);
            Tensor beta = Tensor.zeros(8).requiresGrad(true);
            Tensor w2 = Tensor.randn(rng, 8, 8, 1, 1).mul(0.3f).detach().requiresGrad(true);
            Tensor step = Tensor.of(0.1f).requiresGrad(true);
            Tensor fc = Tensor.randn(rng, 5, 8 * 6 * 6).mul(0.05f).detach().requiresGrad(true);
            Tensor fcb = Tensor.zeros(5).requiresGrad(true);

            Tensor h = Functional.conv2d(x, w1, b1, 1, 1);
            h = Functional.batchNorm(h, null, null, gamma, beta, true, 0.1f, 1e-5f);
            h = Functional.relu(h);
            h = Functional.maxPool2d(h, 2, 2, 0);
            h = Functional.conv2d(h, w2, null, 1, 0);
            h = Functional.fakeQuantize(h, step, null, -1, -8, 7, 0.05f, true);
            Tensor logits = Functional.linear(h.flatten(1, 3), fc, fcb);
            Tensor loss = Functional.crossEntropy(logits, new int[] {0, 3, 1, 4});
            loss.backward();

            List<float[]> out = new ArrayList<>();
            out.add(loss.toFloatArray());
            for (Tensor p : new Tensor[] {w1, b1, gamma, beta, w2, step, fc, fcb}) {
                out.add(p.grad().toFloatArray());
            }
            return out;
        }
    }

    @Test
    void gradientsMatchReferenceBackend() {
        List<float[]> ref = run(REF);
        List<float[]> cpu = run(CPU);
        assertEquals(ref.size(), cpu.size());
        String[] names = {"loss", "w1", "b1", "gamma", "beta", "w2", "step", "fc", "fcb"};
        for (int i = 0; i < ref.size(); i++) {
            assertClose(ref.get(i), cpu.get(i), 2e-3, "end-to-end " + names[i]);
        }
    }

    @Test
    void deterministicAcrossRuns() {
        List<float[]> a = run(CPU), b = run(CPU);
        for (int i = 0; i < a.size(); i++) {
            assertBitExact(a.get(i), b.get(i), "repeat " + i);
        }
    }
}
