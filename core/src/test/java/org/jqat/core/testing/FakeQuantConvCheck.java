package org.jqat.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.jqat.core.FakeQuantSpec;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;

/** {@link Functional#conv2dFakeQuantInput} against conv2d of {@link Functional#fakeQuantize}, on any backend. */
public final class FakeQuantConvCheck {
    private FakeQuantConvCheck() {
    }

    /**
     * Checks the fused op against the unfused pair on the current backend: same output, and the
     * same gradients for x, weight, bias, scale and offset, bit for bit.
     */
    public static void checkAgainstComposition(Rng rng, int[] xShape, int[] wShape, int stride, int padding, boolean withOffset) {
        Tensor x = Tensor.randn(rng, xShape).requiresGrad(true);
        Tensor w = Tensor.randn(rng, wShape).mul(0.3f).detach().requiresGrad(true);
        Tensor b = Tensor.randn(rng, wShape[0]).detach().requiresGrad(true);
        Tensor scale = Tensor.of(new float[] {0.3f}, 1).requiresGrad(true);
        Tensor offset = withOffset ? Tensor.of(new float[] {-0.2f}, 1).requiresGrad(true) : null;
        int[] st = {stride}, pad = {padding}, dil = {1};
        Tensor gy = null;
        float[][] results = new float[2][];
        float[][][] grads = new float[2][][];
        for (int fused = 0; fused < 2; fused++) {
            for (Tensor t : new Tensor[] {x, w, b, scale, offset}) {
                if (t != null) {
                    t.zeroGrad();
                }
            }
            Tensor y = fused == 1
                    ? Functional.conv2dFakeQuantInput(x, new FakeQuantSpec(scale, offset, -3f, 4f, 0.05f, true), w, b, st, pad, dil, 1)
                    : Functional.conv2d(Functional.fakeQuantize(x, scale, offset, -1, -3f, 4f, 0.05f, true), w, b, st, pad, dil, 1);
            if (gy == null) {
                gy = Tensor.randn(rng, y.shape());
            }
            y.mul(gy).sum().backward();
            results[fused] = y.toFloatArray();
            grads[fused] = new float[][] {x.grad().toFloatArray(), w.grad().toFloatArray(), b.grad().toFloatArray(),
                    scale.grad().toFloatArray(), offset == null ? new float[0] : offset.grad().toFloatArray()};
        }
        assertArrayEquals(results[0], results[1], "value");
        String[] names = {"x", "weight", "bias", "scale", "offset"};
        for (int i = 0; i < names.length; i++) {
            assertArrayEquals(grads[0][i], grads[1][i], "gradient of " + names[i]);
        }
    }
}
