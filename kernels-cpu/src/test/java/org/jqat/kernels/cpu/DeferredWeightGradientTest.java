package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;

import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.Threads;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.junit.jupiter.api.Test;

/**
 * Convolution weight gradients that autograd hands to the pool's worker while the backward pass
 * goes on ({@link CpuBackend#submit}): the same gradients as the reference backend, bit-identical
 * from run to run, for a weight shared by two convolutions (its gradients merged during the pass),
 * fused conv epilogues, and gradients accumulated over two backward passes.
 */
class DeferredWeightGradientTest {

    /** A leaf needing a gradient: normal values scaled by {@code scale}. */
    private static Tensor parameter(Rng rng, float scale, int... shape) {
        return Tensor.randn(rng, shape).mul(scale).detach().requiresGrad(true);
    }

    private static List<float[]> run(Backend backend) {
        try (var scope = Backends.using(backend)) {
            Rng rng = new Rng(11);
            Tensor x = Tensor.randn(rng, 6, 4, 10, 10);
            Tensor w1 = parameter(rng, 0.2f, 32, 4, 3, 3);
            Tensor w2 = parameter(rng, 0.05f, 32, 32, 3, 3);
            Tensor w3 = parameter(rng, 0.05f, 16, 32, 3, 3);
            Tensor b3 = parameter(rng, 0.1f, 16);
            for (int pass = 0; pass < 2; pass++) { // the second pass adds to the first's gradients
                // one ReLU only: a value a rounding away from 0 flips a ReLU's mask between backends
                Tensor h = Functional.relu(Functional.conv2d(x, w1, null, 1, 1));
                Tensor a = Functional.conv2d(h, w2, null, 1, 1);
                Tensor b = Functional.conv2d(a, w2, null, 1, 1).add(h); // w2 twice: gradients merged
                Tensor y = Functional.conv2d(b, w3, b3, 2, 1);
                y.mul(y).sum().backward();
            }
            List<float[]> out = new ArrayList<>();
            for (Tensor p : new Tensor[] {w1, w2, w3, b3}) {
                out.add(p.grad().toFloatArray());
            }
            return out;
        }
    }

    /**
     * Fake-quantized weights (LSQ: a step per weight tensor) and, in the middle layer, a
     * fake-quantized input fused into the convolution: the weight gradient and the quantizer's
     * backward go off the critical path together. The last layer's quantized weight is read
     * twice, so it stays on the critical path.
     */
    private static List<float[]> runQuantized(Backend backend) {
        try (var scope = Backends.using(backend)) {
            Rng rng = new Rng(12);
            Tensor x = Tensor.randn(rng, 5, 4, 9, 9);
            Tensor w1 = parameter(rng, 0.2f, 32, 4, 3, 3);
            Tensor w2 = parameter(rng, 0.05f, 32, 32, 3, 3);
            Tensor w3 = parameter(rng, 0.05f, 16, 32, 3, 3);
            Tensor s1 = Tensor.of(0.05f).requiresGrad(true), s2 = Tensor.of(0.01f).requiresGrad(true);
            Tensor s3 = Tensor.of(0.01f).requiresGrad(true), sa = Tensor.of(0.3f).requiresGrad(true);
            for (int pass = 0; pass < 2; pass++) {
                Tensor q1 = Functional.fakeQuantize(w1, s1, null, -1, -8, 7, 0.1f, true);
                Tensor q2 = Functional.fakeQuantize(w2, s2, null, -1, -8, 7, 0.02f, true);
                Tensor q3 = Functional.fakeQuantize(w3, s3, null, -1, -8, 7, 0.02f, true);
                Tensor h = Functional.relu(Functional.conv2d(x, q1, null, 1, 1));
                Tensor a = Functional.conv2dFakeQuantInput(h, new org.jqat.core.FakeQuantSpec(sa, null, 0, 15, 0.05f, true),
                        q2, null, new int[] {1, 1}, new int[] {1, 1}, new int[] {1, 1}, 1);
                Tensor y = Functional.conv2d(a, q3, null, 2, 1).add(Functional.conv2d(a, q3, null, 2, 1).mul(0.5f));
                y.mul(y).sum().backward();
            }
            List<float[]> out = new ArrayList<>();
            for (Tensor p : new Tensor[] {w1, w2, w3, s1, s2, s3, sa}) {
                out.add(p.grad().toFloatArray());
            }
            return out;
        }
    }

    /** With two threads (so the pool has a worker to hand gradients to): the reference within tol, and twice the same bits. */
    private static void check(java.util.function.Function<Backend, List<float[]>> run, String[] names, double tol) {
        int before = Threads.count();
        try {
            Threads.set(2);
            List<float[]> ref = run.apply(REF);
            List<float[]> first = run.apply(CPU);
            List<float[]> second = run.apply(CPU);
            for (int i = 0; i < ref.size(); i++) {
                assertClose(ref.get(i), first.get(i), tol, "against the reference: " + names[i]);
                assertBitExact(first.get(i), second.get(i), "run to run: " + names[i]);
            }
        } finally {
            Threads.set(before);
        }
    }

    @Test
    void quantizedWeightsMatchTheReferenceAndRepeat() {
        check(DeferredWeightGradientTest::runQuantized,
                new String[] {"w1", "w2", "w3 (read twice)", "step 1", "step 2", "step 3", "input step"}, 2e-3);
    }

    @Test
    void gradientsMatchTheReferenceAndRepeat() {
        check(DeferredWeightGradientTest::run, new String[] {"w1", "w2 (shared)", "w3", "b3"}, 2e-4);
    }
}
