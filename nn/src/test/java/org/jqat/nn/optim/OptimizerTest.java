package org.jqat.nn.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.jqat.core.Tensor;
import org.junit.jupiter.api.Test;

/** Optimizers against PyTorch's update formulas computed by hand in double precision. */
class OptimizerTest {
    static final float[] P0 = {0.5f, -1.25f, 2f, 0.1f};
    static final float[][] GRADS = {{0.1f, -0.2f, 0.3f, 0f}, {-0.4f, 0.5f, 0.05f, 1f}, {0.2f, 0.2f, -0.6f, -0.3f}};

    private static Tensor param() {
        return Tensor.of(P0.clone()).requiresGrad(true);
    }

    private static void run(Optimizer opt, Tensor p) {
        for (float[] g : GRADS) {
            p.setGrad(Tensor.of(g.clone()));
            opt.step();
        }
    }

    /** torch.optim.SGD reference. */
    private static double[] sgdRef(double lr, double mom, double damp, double wd, boolean nesterov) {
        double[] p = toDouble(P0);
        double[] buf = new double[p.length];
        for (int s = 0; s < GRADS.length; s++) {
            for (int j = 0; j < p.length; j++) {
                double d = GRADS[s][j] + wd * p[j];
                buf[j] = s == 0 ? d : mom * buf[j] + (1 - damp) * d;
                d = nesterov ? d + mom * buf[j] : buf[j];
                p[j] -= lr * d;
            }
        }
        return p;
    }

    /** torch.optim.Adam / AdamW reference. */
    private static double[] adamRef(double lr, double b1, double b2, double eps, double wd, boolean decoupled, boolean amsgrad) {
        double[] p = toDouble(P0);
        double[] m = new double[p.length];
        double[] v = new double[p.length];
        double[] vmax = new double[p.length];
        for (int s = 0; s < GRADS.length; s++) {
            int t = s + 1;
            for (int j = 0; j < p.length; j++) {
                double g = GRADS[s][j];
                if (decoupled) {
                    p[j] *= 1 - lr * wd;
                } else {
                    g += wd * p[j];
                }
                m[j] = b1 * m[j] + (1 - b1) * g;
                v[j] = b2 * v[j] + (1 - b2) * g * g;
                vmax[j] = Math.max(vmax[j], v[j]);
                double mhat = m[j] / (1 - Math.pow(b1, t));
                double vhat = (amsgrad ? vmax[j] : v[j]) / (1 - Math.pow(b2, t));
                p[j] -= lr * mhat / (Math.sqrt(vhat) + eps);
            }
        }
        return p;
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    private static void assertClose(double[] want, Tensor got) {
        float[] g = got.toFloatArray();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], g[i], 2e-6, "element " + i);
        }
    }

    @Test
    void sgdPlainMomentumDampeningAndNesterov() {
        Tensor p = param();
        run(new SGD(List.of(p), 0.1, 0, 0, false), p);
        assertClose(sgdRef(0.1, 0, 0, 0, false), p);
        p = param();
        run(new SGD(List.of(new ParamGroup("g", List.of(p), 0.05, 1e-2)), 0.9, 0.3, false), p);
        assertClose(sgdRef(0.05, 0.9, 0.3, 1e-2, false), p);
        p = param();
        run(new SGD(List.of(p), 0.1, 0.9, 5e-4, true), p);
        assertClose(sgdRef(0.1, 0.9, 0, 5e-4, true), p);
        assertThrows(IllegalArgumentException.class, () -> new SGD(List.of(param()), 0.1, 0, 0, true));
    }

    @Test
    void adamAdamWAndAmsgrad() {
        Tensor p = param();
        run(new Adam(List.of(new ParamGroup("g", List.of(p), 0.01, 0.1)), 0.9, 0.999, 1e-8, false, false), p);
        assertClose(adamRef(0.01, 0.9, 0.999, 1e-8, 0.1, false, false), p);
        p = param();
        run(new AdamW(List.of(new ParamGroup("g", List.of(p), 0.01, 0.1)), 0.8, 0.99, 1e-6, false), p);
        assertClose(adamRef(0.01, 0.8, 0.99, 1e-6, 0.1, true, false), p);
        p = param();
        run(new Adam(List.of(new ParamGroup("g", List.of(p), 0.01, 0)), 0.9, 0.999, 1e-8, true, false), p);
        assertClose(adamRef(0.01, 0.9, 0.999, 1e-8, 0, false, true), p);
    }

    @Test
    void viewParametersTakeTheGenericPathWithTheSameResult() {
        // A strided view is not a dense heap array, so the tensor-op fallback runs.
        for (int kind = 0; kind < 3; kind++) {
            Tensor big = Tensor.zeros(8);
            Tensor view = big.slice(0, 0, 8, 2);
            try (var ng = org.jqat.core.Autograd.noGrad()) {
                view.copyFrom_(Tensor.of(P0.clone()));
            }
            view.requiresGrad(true);
            Tensor dense = param();
            Optimizer a = make(kind, view);
            Optimizer b = make(kind, dense);
            run(a, view);
            run(b, dense);
            assertArrayEquals(dense.toFloatArray(), view.toFloatArray(), 1e-6f, "kind " + kind);
        }
    }

    private static Optimizer make(int kind, Tensor p) {
        List<ParamGroup> g = List.of(new ParamGroup("g", List.of(p), 0.01, 0.05));
        return switch (kind) {
            case 0 -> new SGD(g, 0.9, 0, true);
            case 1 -> new Adam(g, 0.9, 0.999, 1e-8, true, false);
            default -> new AdamW(g, 0.9, 0.999, 1e-8, false);
        };
    }

    @Test
    void groupsHaveTheirOwnLrAndWeightDecay() {
        Tensor w = param();
        Tensor s = param();
        SGD opt = new SGD(List.of(new ParamGroup("weights", List.of(w), 0.1, 1e-2), new ParamGroup("steps", List.of(s), 0.01, 0)),
                0.9, 0, false);
        run(opt, w);
        assertClose(sgdRef(0.1, 0.9, 0, 1e-2, false), w);
        assertArrayEquals(P0, s.toFloatArray()); // no gradient: untouched
    }

    @Test
    void stateDictResumesExactly() {
        Tensor p = param();
        Adam a = new Adam(List.of(new ParamGroup("g", List.of(p), 0.01, 0.1)), 0.9, 0.999, 1e-8, true, false);
        p.setGrad(Tensor.of(GRADS[0].clone()));
        a.step();
        Map<String, Tensor> saved = a.stateDict();
        Tensor q = Tensor.of(p.toFloatArray()).requiresGrad(true);
        Adam b = new Adam(List.of(new ParamGroup("g", List.of(q), 0.5, 0)), 0.9, 0.999, 1e-8, true, false);
        b.loadStateDict(saved);
        assertEquals(0.01, b.groups().get(0).lr(), 1e-9);
        for (int s = 1; s < GRADS.length; s++) {
            p.setGrad(Tensor.of(GRADS[s].clone()));
            q.setGrad(Tensor.of(GRADS[s].clone()));
            a.step();
            b.step();
        }
        assertArrayEquals(p.toFloatArray(), q.toFloatArray());
        assertClose(adamRef(0.01, 0.9, 0.999, 1e-8, 0.1, false, true), q);
        Map<String, Tensor> bad = new java.util.HashMap<>(saved);
        bad.put("state.0.exp_avg", Tensor.zeros(3));
        bad.put("state.7.exp_avg", Tensor.zeros(4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(bad));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("state.0.exp_avg") && e.getMessage().contains("state.7.exp_avg"));
    }

    @Test
    void clipGradNormAsPyTorch() {
        Tensor a = Tensor.zeros(2).requiresGrad(true);
        Tensor b = Tensor.zeros(1).requiresGrad(true);
        a.setGrad(Tensor.of(3f, 0f));
        b.setGrad(Tensor.of(4f));
        double norm = Optimizer.clipGradNorm(List.of(a, b), 1.0);
        assertEquals(5.0, norm, 1e-6);
        double coef = 1.0 / (5.0 + 1e-6);
        assertEquals(3 * coef, a.grad().get(0), 1e-6);
        assertEquals(4 * coef, b.grad().get(0), 1e-6);
        assertEquals(1.0, Optimizer.clipGradNorm(List.of(a, b), 10.0), 1e-5); // under the limit: unchanged
        assertEquals(4 * coef, b.grad().get(0), 1e-6);
    }
}
