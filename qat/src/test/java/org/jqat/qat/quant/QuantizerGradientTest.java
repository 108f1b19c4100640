package org.jqat.qat.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.DoubleUnaryOperator;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Forward and backward of every quantizer against a scalar re-implementation of the paper's
 * formulas, and central differences of the surrogate functions the papers differentiate.
 */
class QuantizerGradientTest {
    private static final Rng RNG = new Rng(7);

    private static float[] randn(int n, float scale) {
        Tensor t = Tensor.randn(RNG, n);
        float[] v = t.toFloatArray();
        for (int i = 0; i < n; i++) {
            v[i] *= scale;
        }
        return v;
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    private static double centralDiff(DoubleUnaryOperator f, double at, double h) {
        return (f.applyAsDouble(at + h) - f.applyAsDouble(at - h)) / (2 * h);
    }

    @Test
    void lsqMatchesScalarFormulaPerTensorAndPerChannel() {
        for (boolean perChannel : new boolean[] {false, true}) {
            for (int bits : new int[] {2, 3, 4, 8}) {
                int ch = 4;
                int inner = 18;
                float[] xv = randn(ch * inner, 1f);
                float[] gyv = randn(ch * inner, 1f);
                QuantRange r = QuantRange.signed(bits);
                LsqQuantizer q = new LsqQuantizer(r, perChannel, ch, LsqQuantizer.Init.MEAN_ABS, Float.NaN);
                Tensor x = Tensor.of(xv, ch, inner).requiresGrad(true);
                Tensor y = q.forward(x);
                y.backward(Tensor.of(gyv, ch, inner));
                float[] step = q.step().toFloatArray();
                assertEquals(perChannel ? ch : 1, step.length);
                // init: 2·mean|x|/sqrt(Qp) over each channel
                for (int c = 0; c < step.length; c++) {
                    int from = perChannel ? c * inner : 0;
                    int to = perChannel ? from + inner : xv.length;
                    double m = 0;
                    for (int i = from; i < to; i++) {
                        m += Math.abs(xv[i]);
                    }
                    assertEquals(2 * m / (to - from) / Math.sqrt(r.qmax()), step[c], 1e-6, "step init");
                }
                int n = perChannel ? inner : xv.length;
                double g = 1 / Math.sqrt((double) n * r.qmax());
                float[] yv = y.toFloatArray();
                float[] gx = x.grad().toFloatArray();
                double[] gs = new double[step.length];
                for (int i = 0; i < xv.length; i++) {
                    int c = perChannel ? i / inner : 0;
                    float s = step[c];
                    float v = xv[i] / s;
                    boolean inside = v >= r.qmin() && v <= r.qmax();
                    float qv = (float) Math.rint(Math.min(Math.max(v, r.qmin()), r.qmax()));
                    assertEquals(qv * s, yv[i], 0f, "y[" + i + "]");
                    assertEquals(inside ? gyv[i] : 0f, gx[i], 0f, "grad_x[" + i + "]");
                    gs[c] += gyv[i] * (inside ? qv - v : (v < r.qmin() ? r.qmin() : r.qmax()));
                }
                float[] gstep = q.step().grad().toFloatArray();
                for (int c = 0; c < gs.length; c++) {
                    assertEquals(gs[c] * g, gstep[c], 1e-5 + 1e-4 * Math.abs(gs[c] * g), "grad_step[" + c + "]");
                }
            }
        }
    }

    @Test
    void lsqInputGradientMatchesClampSurrogate() {
        // Away from the clamp bounds the STE surrogate of x is y ≈ clamp(x, −Qn·s, Qp·s): slope 1 inside, 0 outside
        QuantRange r = QuantRange.unsigned(3);
        LsqQuantizer q = LsqQuantizer.perTensor(r);
        q.setStep(Tensor.of(0.25f));
        float[] xv = {-0.7f, 0.1f, 0.9f, 1.6f, 2.4f};
        float[] gyv = {0.3f, -1.2f, 0.8f, 0.5f, 2f};
        Tensor x = Tensor.of(xv).requiresGrad(true);
        q.forward(x).backward(Tensor.of(gyv));
        float[] gx = x.grad().toFloatArray();
        for (int i = 0; i < xv.length; i++) {
            final int k = i;
            double num = centralDiff(t -> gyv[k] * Math.min(Math.max(t, 0), r.qmax() * 0.25), xv[i], 1e-3);
            assertEquals(num, gx[i], 1e-4, "x[" + i + "]");
        }
    }

    @Test
    void lsqPlusMatchesScalarFormulaAndInitialisesFromMinMax() {
        for (boolean signed : new boolean[] {false, true}) {
            QuantRange r = QuantRange.of(signed, 4);
            float[] xv = randn(200, 1.5f);
            for (int i = 0; i < 100; i++) {
                xv[i] += 0.5f;
            }
            LsqPlusQuantizer q = new LsqPlusQuantizer(r);
            try (var ng = Autograd.noGrad()) {
                q.forward(Tensor.of(xv));
            }
            double lo = Double.MAX_VALUE;
            double hi = -Double.MAX_VALUE;
            for (float f : xv) {
                lo = Math.min(lo, f);
                hi = Math.max(hi, f);
            }
            float s0 = q.step().item();
            assertEquals((hi - lo) / (r.qmax() - r.qmin()), s0, 1e-6);
            assertEquals(lo - r.qmin() * (double) s0, q.offset().item(), 1e-5);
            // a trained-looking state so values fall outside on both sides
            q.set(0.1f, 0.2f);
            float[] gyv = randn(200, 1f);
            Tensor x = Tensor.of(xv).requiresGrad(true);
            Tensor y = q.forward(x);
            y.backward(Tensor.of(gyv));
            double g = 1 / Math.sqrt(200.0 * r.qmax());
            double gs = 0;
            double gb = 0;
            float[] yv = y.toFloatArray();
            float[] gx = x.grad().toFloatArray();
            for (int i = 0; i < xv.length; i++) {
                float v = (xv[i] - 0.2f) / 0.1f;
                boolean inside = v >= r.qmin() && v <= r.qmax();
                float qv = (float) Math.rint(Math.min(Math.max(v, r.qmin()), r.qmax()));
                assertEquals(qv * 0.1f + 0.2f, yv[i], 0f);
                assertEquals(inside ? gyv[i] : 0f, gx[i], 0f);
                gs += gyv[i] * (inside ? qv - v : (v < r.qmin() ? r.qmin() : r.qmax()));
                gb += inside ? 0 : gyv[i];
            }
            assertEquals(gs * g, q.step().grad().item(), 1e-5);
            assertEquals(gb * g, q.offset().grad().item(), 1e-5);
            // β surrogate: ∂/∂β of Σ gy·clamp(x, β + qmin·s, β + qmax·s) is Σ_{outside} gy (then scaled by g)
            double num = centralDiff(b -> {
                double sum = 0;
                for (int i = 0; i < xv.length; i++) {
                    sum += gyv[i] * Math.min(Math.max(xv[i], b + r.qmin() * 0.1), b + r.qmax() * 0.1);
                }
                return sum;
            }, 0.2, 1e-4);
            assertEquals(num * g, q.offset().grad().item(), 1e-3 * Math.abs(num * g) + 1e-4);
        }
    }

    @Test
    void pactAlphaGradientIsClipGradient() {
        int bits = 3;
        PactQuantizer q = new PactQuantizer(bits, 1.5f);
        float[] xv = randn(300, 1.5f);
        float[] gyv = randn(300, 1f);
        Tensor x = Tensor.of(xv).requiresGrad(true);
        Tensor y = q.forward(x);
        y.backward(Tensor.of(gyv));
        float s = 1.5f / 7;
        float[] yv = y.toFloatArray();
        float[] gx = x.grad().toFloatArray();
        double expect = 0;
        for (int i = 0; i < xv.length; i++) {
            double clipped = Math.min(Math.max(xv[i], 0), 1.5);
            assertEquals(Math.rint(clipped * 7 / 1.5) * s, yv[i], 1e-6, "y[" + i + "]");
            assertEquals(xv[i] >= 0 && xv[i] <= 1.5 ? gyv[i] : 0f, gx[i], 0f);
            expect += xv[i] > 1.5 ? gyv[i] : 0;
        }
        assertEquals(expect, q.alpha().grad().item(), 1e-4);
        // PACT's surrogate y = clamp(x, 0, α): its α-derivative is the same sum
        double num = centralDiff(a -> {
            double sum = 0;
            for (int i = 0; i < xv.length; i++) {
                sum += gyv[i] * Math.min(Math.max(xv[i], 0), a);
            }
            return sum;
        }, 1.5, 1e-4);
        assertEquals(num, q.alpha().grad().item(), 1e-3);
    }

    @Test
    void dorefaMatchesFormulaAndSurrogateGradient() {
        for (int bits : new int[] {2, 4, 8}) {
            DoReFaWeightQuantizer q = new DoReFaWeightQuantizer(bits);
            float[] wv = randn(64, 0.8f);
            float[] gyv = randn(64, 1f);
            Tensor w = Tensor.of(wv).requiresGrad(true);
            Tensor y = q.forward(w);
            y.backward(Tensor.of(gyv));
            double m = 0;
            for (float f : wv) {
                m = Math.max(m, Math.abs(Math.tanh(f)));
            }
            int levels = (1 << bits) - 1;
            float[] yv = y.toFloatArray();
            for (int i = 0; i < wv.length; i++) {
                double u = Math.tanh(wv[i]) / (2 * m) + 0.5;
                assertEquals(2 * Math.rint(u * levels) / levels - 1, yv[i], 1e-6, "y[" + i + "]");
            }
            // STE surrogate: w_q ≈ tanh(w)/max|tanh(w)| (quantize_k replaced by identity)
            float[] gw = w.grad().toFloatArray();
            for (int i = 0; i < wv.length; i += 7) {
                final int k = i;
                double num = centralDiff(t -> {
                    double mm = 0;
                    double sum = 0;
                    for (int j = 0; j < wv.length; j++) {
                        mm = Math.max(mm, Math.abs(Math.tanh(j == k ? t : wv[j])));
                    }
                    for (int j = 0; j < wv.length; j++) {
                        sum += gyv[j] * Math.tanh(j == k ? t : wv[j]) / mm;
                    }
                    return sum;
                }, wv[i], 1e-4);
                assertEquals(num, gw[i], 2e-3 + 2e-3 * Math.abs(num), "grad_w[" + i + "] bits " + bits);
            }
        }
    }

    @Test
    void dorefaOneBitIsMeanTimesSign() {
        DoReFaWeightQuantizer q = new DoReFaWeightQuantizer(1);
        float[] wv = randn(50, 1f);
        Tensor w = Tensor.of(wv).requiresGrad(true);
        Tensor y = q.forward(w);
        double e = 0;
        double m = 0;
        for (float f : wv) {
            e += Math.abs(f);
            m = Math.max(m, Math.abs(f));
        }
        e /= wv.length;
        float[] yv = y.toFloatArray();
        for (int i = 0; i < wv.length; i++) {
            assertEquals(Math.signum(wv[i]) * e, yv[i], 1e-6);
        }
        float[] ones = new float[50];
        java.util.Arrays.fill(ones, 1f);
        y.backward(Tensor.of(ones));
        // the paper's straight-through estimator: the gradient passes to w unchanged
        for (float gv : w.grad().toFloatArray()) {
            assertEquals(1f, gv, 0f);
        }
    }

    @Test
    void minMaxMatchesTorchFormulasAndObserver() {
        MinMaxQuantizer act = MinMaxQuantizer.activation(8);
        float[] a = randn(100, 2f);
        float[] b = randn(100, 3f);
        act.forward(Tensor.of(a));
        Tensor xb = Tensor.of(b).requiresGrad(true);
        Tensor y = act.forward(xb);
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE, lo2 = Double.MAX_VALUE, hi2 = -Double.MAX_VALUE;
        for (int i = 0; i < 100; i++) {
            lo = Math.min(lo, a[i]);
            hi = Math.max(hi, a[i]);
            lo2 = Math.min(lo2, b[i]);
            hi2 = Math.max(hi2, b[i]);
        }
        double rlo = lo + 0.01 * (lo2 - lo);
        double rhi = hi + 0.01 * (hi2 - hi);
        assertEquals(rlo, act.buffer("min_val").item(), 1e-5);
        assertEquals(rhi, act.buffer("max_val").item(), 1e-5);
        float s = act.buffer("scale").item();
        assertEquals((Math.max(rhi, 0) - Math.min(rlo, 0)) / 255, s, 1e-6);
        int zp = (int) act.buffer("zero_point").item();
        assertEquals(Math.max(0, Math.min(255, 0 - Math.rint(Math.min(rlo, 0) / s))), zp, 0);
        float[] yv = y.toFloatArray();
        for (int i = 0; i < 100; i++) {
            // torch: (clamp(rint(x/s + zp), 0, 255) − zp)·s
            double ref = (Math.min(Math.max(Math.rint(b[i] / s + zp), 0), 255) - zp) * s;
            assertEquals(ref, yv[i], 1e-5, "y[" + i + "]");
        }
        float[] ones = new float[100];
        java.util.Arrays.fill(ones, 1f);
        y.backward(Tensor.of(ones));
        float[] gx = xb.grad().toFloatArray();
        for (int i = 0; i < 100; i++) {
            double v = b[i] / s;
            assertEquals(v >= -zp && v <= 255 - zp ? 1f : 0f, gx[i], 0f);
        }
        // weights: symmetric per channel, zero point 0, scale = max|w| / ((qmax − qmin)/2)
        MinMaxQuantizer wq = MinMaxQuantizer.weightPerChannel(8, 3);
        float[] w = randn(30, 1f);
        wq.forward(Tensor.of(w, 3, 10));
        float[] scales = wq.buffer("scale").toFloatArray();
        for (int c = 0; c < 3; c++) {
            double amax = 0;
            for (int i = c * 10; i < c * 10 + 10; i++) {
                amax = Math.max(amax, Math.abs(w[i]));
            }
            assertEquals(amax / 127.5, scales[c], 1e-6);
        }
        assertEquals(0f, wq.buffer("zero_point").item());
        // eval mode freezes the observer
        wq.eval();
        wq.forward(Tensor.of(randn(30, 5f), 3, 10));
        assertArrayEquals(scales, wq.buffer("scale").toFloatArray());
    }
}
