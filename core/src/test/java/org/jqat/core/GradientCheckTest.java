package org.jqat.core;

import static org.jqat.core.testing.GradCheck.check;

import org.jqat.core.backend.ReferenceBackend;
import org.jqat.core.backend.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Central-difference checks of every differentiable op in core. */
class GradientCheckTest {
    private final Rng rng = new Rng(42);
    private Backends.Scope scope;

    @BeforeEach
    void useReference() {
        scope = Backends.using(new ReferenceBackend());
    }

    @AfterEach
    void restore() {
        scope.close();
    }

    private Tensor param(int... shape) {
        return Tensor.randn(rng, shape).requiresGrad(true);
    }

    /** Values in [lo, hi], away from kinks and singularities. */
    private Tensor uniform(float lo, float hi, int... shape) {
        return Tensor.rand(rng, shape).mul(hi - lo).add(lo).detach().requiresGrad(true);
    }

    @Test
    void binaryOpsWithBroadcasting() {
        check("add", t -> t[0].add(t[1]), param(2, 3, 4), param(3, 1));
        check("sub", t -> t[0].sub(t[1]), param(2, 1, 4), param(3, 4));
        check("mul", t -> t[0].mul(t[1]), param(4, 3), param(3));
        check("div", t -> t[0].div(t[1]), param(2, 3), uniform(0.5f, 2f, 2, 1));
        check("pow", t -> t[0].pow(t[1]), uniform(0.5f, 2f, 3, 2), uniform(-1f, 2f, 2));
        Tensor a = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3).requiresGrad(true);
        Tensor b = Tensor.of(new float[] {0.5f, 2.5f, 1.5f}, 3).requiresGrad(true);
        check("maximum", t -> t[0].maximum(t[1]), a, b);
        check("minimum", t -> t[0].minimum(t[1]), a, b);
    }

    @Test
    void unaryOps() {
        check("neg", t -> t[0].neg(), param(3, 4));
        check("abs", t -> t[0].abs(), uniform(0.2f, 1f, 7).mul(1f).detach().requiresGrad(true));
        check("exp", t -> t[0].exp(), param(3, 4));
        check("log", t -> t[0].log(), uniform(0.5f, 3f, 3, 4));
        check("sqrt", t -> t[0].sqrt(), uniform(0.5f, 3f, 3, 4));
        check("tanh", t -> t[0].tanh(), param(3, 4));
        check("sigmoid", t -> t[0].sigmoid(), param(3, 4));
        check("relu", t -> t[0].relu(), Tensor.of(new float[] {-2, -0.5f, 0.4f, 1.5f, 3}).requiresGrad(true));
        check("square", t -> t[0].square(), param(5));
        check("reciprocal", t -> t[0].reciprocal(), uniform(0.5f, 2f, 5));
        check("clamp", t -> t[0].clamp(-0.5f, 0.7f), Tensor.of(new float[] {-2, -0.2f, 0.1f, 0.5f, 3}).requiresGrad(true));
        check("affine", t -> t[0].mul(3f).add(1f).div(2f).sub(0.5f), param(4));
    }

    @Test
    void reductions() {
        check("sum all", t -> t[0].sum(), param(2, 3, 4));
        check("sum 1", t -> t[0].sum(1, false), param(2, 3, 4));
        check("sum 0,2 keep", t -> t[0].sum(new int[] {0, 2}, true), param(2, 3, 4));
        check("mean -1", t -> t[0].mean(-1, false), param(2, 3, 4));
        check("max 1", t -> t[0].max(new int[] {1}, false), param(2, 5, 3));
        check("max 0,2", t -> t[0].max(new int[] {0, 2}, true), param(2, 5, 3));
        check("var", t -> t[0].var(new int[] {0, 2}, true, false), param(3, 2, 4));
        check("var biased", t -> t[0].var(new int[] {1}, false, true), param(3, 5));
    }

    @Test
    void matmul() {
        check("mm", t -> t[0].matmul(t[1]), param(3, 4), param(4, 5));
        check("mm transposed", t -> t[0].t().matmul(t[1].t()), param(4, 3), param(5, 4));
        check("bmm broadcast", t -> t[0].matmul(t[1]), param(2, 3, 4), param(4, 2));
        check("batched both", t -> t[0].matmul(t[1]), param(2, 1, 3, 4), param(3, 4, 2));
        check("vec-mat", t -> t[0].matmul(t[1]), param(4), param(4, 3));
        check("dot", t -> t[0].matmul(t[1]), param(5), param(5));
    }

    @Test
    void shapeOps() {
        check("reshape", t -> t[0].reshape(3, -1).mul(t[0].reshape(3, 4)), param(2, 6));
        check("permute", t -> t[0].permute(2, 0, 1).contiguous(), param(2, 3, 4));
        check("transpose+reshape", t -> t[0].transpose(0, 1).reshape(-1), param(3, 4));
        check("slice", t -> t[0].slice(1, 1, 5, 2), param(3, 6));
        check("slice negative", t -> t[0].slice(0, -2, 10), param(4, 2));
        check("concat", t -> Tensor.concat(1, t[0], t[1], t[0]), param(2, 2), param(2, 3));
        check("expand", t -> t[0].expand(3, 2, 4), param(2, 1));
        check("unsqueeze/squeeze", t -> t[0].unsqueeze(1).mul(2f).squeeze(1), param(3, 2));
        check("flatten", t -> t[0].flatten(1, 2), param(2, 3, 2));
        Tensor index = Tensor.of(new float[] {0, 2, 1, 1, 0, 0}, 2, 3);
        check("gather", t -> t[0].gather(1, index), param(2, 4));
        check("gather dim0", t -> t[0].gather(0, Tensor.of(new float[] {2, 0, 1}, 1, 3)), param(3, 3));
    }

    @Test
    void softmax() {
        check("softmax last", t -> t[0].softmax(-1), param(3, 5));
        check("softmax dim0", t -> t[0].softmax(0), param(3, 5));
        check("logSoftmax", t -> t[0].logSoftmax(1), param(2, 4, 3));
    }

    @Test
    void convolution() {
        check("conv2d basic", t -> Functional.conv2d(t[0], t[1], t[2], 1, 1), param(2, 3, 5, 5), param(4, 3, 3, 3), param(4));
        check("conv2d strided dilated", t -> Functional.conv2d(t[0], t[1], null, new int[] {2, 1}, new int[] {1, 2},
                new int[] {2, 1}, 1), param(1, 2, 7, 6), param(3, 2, 3, 2));
        check("conv2d groups", t -> Functional.conv2d(t[0], t[1], t[2], new int[] {1}, new int[] {1}, new int[] {1}, 2),
                param(2, 4, 4, 4), param(6, 2, 3, 3), param(6));
        check("conv2d depthwise 1x1", t -> Functional.conv2d(t[0], t[1], null, new int[] {2}, new int[] {0}, new int[] {1}, 3),
                param(1, 3, 5, 5), param(3, 1, 1, 1));
        int[] one = {1};
        check("conv2dFused bias residual relu", t -> Functional.conv2dFused(t[0], t[1], t[2], t[3], true, one, one, one, 1),
                param(2, 3, 5, 5), param(4, 3, 3, 3), param(4), param(2, 4, 5, 5));
        check("conv2dFused strided, no relu", t -> Functional.conv2dFused(t[0], t[1], null, t[2], false, new int[] {2},
                one, one, 1), param(1, 2, 6, 7), param(3, 2, 3, 3), param(1, 3, 3, 4));
        check("conv2dFused relu only", t -> Functional.conv2dFused(t[0], t[1], t[2], null, true, one, new int[] {0}, one, 1),
                param(2, 2, 4, 4), param(3, 2, 3, 3), param(3));
    }

    @Test
    void pooling() {
        // Distinct values so the max is unique in every window.
        int[] perm = new Rng(3).permutation(2 * 2 * 6 * 6);
        float[] distinct = new float[perm.length];
        for (int i = 0; i < perm.length; i++) {
            distinct[i] = perm[i];
        }
        Tensor x = Tensor.of(distinct, 2, 2, 6, 6);
        Tensor xs = x.mul(0.1f).detach().requiresGrad(true);
        check("maxPool2d", t -> Functional.maxPool2d(t[0], 3, 2, 1), xs);
        check("maxPool2d 2x2", t -> Functional.maxPool2d(t[0], 2, 2, 0), xs);
        check("avgPool2d", t -> Functional.avgPool2d(t[0], 3, 2, 1), param(2, 2, 6, 5));
        check("globalAvgPool2d", t -> Functional.globalAvgPool2d(t[0]), param(2, 3, 4, 4));
    }

    @Test
    void batchNorm() {
        check("batchNorm train", t -> Functional.batchNorm(t[0], null, null, t[1], t[2], true, 0.1f, 1e-5f),
                param(4, 3, 3, 3), param(3), param(3));
        Tensor rm = Tensor.randn(rng, 3);
        Tensor rv = Tensor.rand(rng, 3).add(0.5f);
        check("batchNorm eval", t -> Functional.batchNorm(t[0], rm, rv, t[1], t[2], false, 0.1f, 1e-5f),
                param(2, 3, 2, 2), param(3), param(3));
        check("batchNorm 2-D no affine", t -> Functional.batchNorm(t[0], null, null, null, null, true, 0.1f, 1e-5f),
                param(6, 4));
    }

    /**
     * Fused batch norm + residual + ReLU. Central differences cannot cross the ReLU kink, so
     * gamma and beta keep every pre-activation at least ~1 away from 0: channels 0 and 2 pass
     * (beta +2), channel 1 is cut (beta −2). {@code fusedMatchesComposition} covers inputs near
     * the kink.
     */
    @Test
    void batchNormRelu() {
        Tensor gamma = Tensor.of(new float[] {0.3f, 0.25f, 0.3f}, 3);
        Tensor beta = Tensor.of(new float[] {2f, -2f, 2f}, 3);
        Tensor x = Tensor.randn(rng, 4, 3, 3, 3).clamp(-3f, 3f).detach();
        Tensor res = Tensor.randn(rng, 4, 3, 3, 3).mul(0.2f).detach();
        check("batchNormRelu train", t -> Functional.batchNormRelu(t[0], null, null, null, t[1], t[2], true, 0.1f, 1e-5f),
                x.requiresGrad(true), gamma.requiresGrad(true), beta.requiresGrad(true));
        check("batchNormRelu train + residual",
                t -> Functional.batchNormRelu(t[0], t[3], null, null, t[1], t[2], true, 0.1f, 1e-5f),
                x.requiresGrad(true), gamma.requiresGrad(true), beta.requiresGrad(true), res.requiresGrad(true));
        Tensor rm = Tensor.of(new float[] {0.1f, -0.2f, 0f}, 3);
        Tensor rv = Tensor.of(new float[] {1.2f, 0.8f, 1f}, 3);
        check("batchNormRelu eval + residual", t -> Functional.batchNormRelu(t[0], t[3], rm, rv, t[1], t[2], false, 0.1f, 1e-5f),
                x.requiresGrad(true), gamma.requiresGrad(true), beta.requiresGrad(true), res.requiresGrad(true));
    }

    private static void assertClose(Tensor expected, Tensor actual, double tol, String what) {
        float[] e = expected.toFloatArray(), a = actual.toFloatArray();
        org.junit.jupiter.api.Assertions.assertEquals(e.length, a.length, what);
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(e[i] - a[i]) <= tol * (1 + Math.abs(e[i])))) {
                org.junit.jupiter.api.Assertions.fail(what + "[" + i + "]: expected " + e[i] + " but was " + a[i]);
            }
        }
    }

    /** In eval mode too, at random inputs the fused op equals the composition in value and gradient. */
    @Test
    void fusedEvalMatchesComposition() {
        Tensor x = param(3, 4, 5), g = param(4), b = param(4), r = param(3, 4, 5), gy = Tensor.randn(rng, 3, 4, 5);
        Tensor rm = Tensor.randn(rng, 4), rv = Tensor.rand(rng, 4).add(0.5f);
        Tensor fused = Functional.batchNormRelu(x, r, rm, rv, g, b, false, 0.1f, 1e-5f);
        fused.mul(gy).sum().backward();
        Tensor[] fusedGrads = {x.grad(), g.grad(), b.grad(), r.grad()};
        for (Tensor t : new Tensor[] {x, g, b, r}) {
            t.zeroGrad();
        }
        Tensor composed = Functional.batchNorm(x, rm, rv, g, b, false, 0.1f, 1e-5f).add(r).relu();
        composed.mul(gy).sum().backward();
        Tensor[] composedGrads = {x.grad(), g.grad(), b.grad(), r.grad()};
        assertClose(composed, fused, 1e-6, "value");
        String[] names = {"x", "gamma", "beta", "residual"};
        for (int i = 0; i < 4; i++) {
            assertClose(composedGrads[i], fusedGrads[i], 1e-5, "eval grad " + names[i]);
        }
    }

    /** At random inputs (kinks included) the fused op equals relu(batchNorm(x) + residual) in value and gradient. */
    @Test
    void fusedMatchesComposition() {
        Tensor x = param(5, 4, 3, 3), g = param(4), b = param(4), r = param(5, 4, 3, 3), gy = Tensor.randn(rng, 5, 4, 3, 3);
        Tensor rm1 = Tensor.zeros(4), rv1 = Tensor.ones(4), rm2 = Tensor.zeros(4), rv2 = Tensor.ones(4);
        Tensor fused = Functional.batchNormRelu(x, r, rm1, rv1, g, b, true, 0.1f, 1e-5f);
        fused.mul(gy).sum().backward();
        Tensor[] fusedGrads = {x.grad(), g.grad(), b.grad(), r.grad()};
        for (Tensor t : new Tensor[] {x, g, b, r}) {
            t.zeroGrad();
        }
        Tensor composed = Functional.batchNorm(x, rm2, rv2, g, b, true, 0.1f, 1e-5f).add(r).relu();
        composed.mul(gy).sum().backward();
        Tensor[] composedGrads = {x.grad(), g.grad(), b.grad(), r.grad()};
        assertClose(composed, fused, 1e-5, "value");
        assertClose(rm2, rm1, 1e-6, "running mean");
        assertClose(rv2, rv1, 1e-6, "running var");
        String[] names = {"x", "gamma", "beta", "residual"};
        for (int i = 0; i < 4; i++) {
            assertClose(composedGrads[i], fusedGrads[i], 1e-5, "grad " + names[i]);
        }
    }

    @Test
    void layersAndLosses() {
        check("linear", t -> Functional.linear(t[0], t[1], t[2]), param(3, 4), param(5, 4), param(5));
        check("linear batched", t -> Functional.linear(t[0], t[1], null), param(2, 3, 4), param(5, 4));
        int[] target = {1, 0, 3};
        check("crossEntropy", t -> Functional.crossEntropy(t[0], target), param(3, 4));
        check("crossEntropy smoothing", t -> Functional.crossEntropy(t[0], target, 0.1f), param(3, 4));
        check("distillation", t -> Functional.distillationLoss(t[0], t[1], 4f), param(3, 5), param(3, 5));
        check("mse", t -> Functional.mseLoss(t[0], t[1]), param(3, 2), param(3, 2));
    }
}
