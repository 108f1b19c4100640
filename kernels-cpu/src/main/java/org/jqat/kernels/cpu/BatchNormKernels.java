package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch norm over {@code [n, c, hw]}, parallel over channels (each channel's statistics are a
 * private reduction, so no combining step is needed), optionally fused with a residual add and a
 * ReLU ({@code y = max(0, bn(x) + residual)}). Statistics are float-vector sums folded into
 * doubles; per-element transforms are one vector multiply-add per element.
 */
final class BatchNormKernels {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;

    private BatchNormKernels() {
    }

    /** Σ a and Σ a·(b − mu) of one channel. */
    private static final class ChannelSums {
        double sumA, sumAB;
    }

    /**
     * Σ a' and (if {@code b != null}) Σ a'·(b − mu) over the n segments {@code (img·c + ch)·hw} of
     * one channel in one pass, where {@code a' = a·[y > 0]} when a ReLU output y is given (the
     * gradient the ReLU lets through) and a itself otherwise. Float vector accumulators carry across
     * segments (small maps such as 8×8 would otherwise pay a horizontal add per image) and are
     * folded into a double every {@link Reductions#BLOCK} elements, which keeps the error near the
     * double-accumulating reference's. The order is fixed, so results are deterministic.
     */
    private static void channelSums(float[] a, float[] y, float[] b, float mu, int n, int c, int hw, int ch,
                                    ChannelSums out) {
        FloatVector zero = FloatVector.zero(S), s0 = zero, s1 = zero, d0 = zero, d1 = zero;
        double sumA = 0, sumAB = 0;
        int pending = 0;
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * hw, i = 0;
            for (int bound = hw - 2 * L; i <= bound; i += 2 * L) {
                FloatVector a0 = passed(a, y, off + i, zero), a1 = passed(a, y, off + i + L, zero);
                s0 = s0.add(a0);
                s1 = s1.add(a1);
                if (b != null) {
                    d0 = FloatVector.fromArray(S, b, off + i).sub(mu).fma(a0, d0);
                    d1 = FloatVector.fromArray(S, b, off + i + L).sub(mu).fma(a1, d1);
                }
            }
            for (; i <= hw - L; i += L) {
                FloatVector a0 = passed(a, y, off + i, zero);
                s0 = s0.add(a0);
                if (b != null) {
                    d0 = FloatVector.fromArray(S, b, off + i).sub(mu).fma(a0, d0);
                }
            }
            for (; i < hw; i++) {
                float v = y == null || y[off + i] > 0 ? a[off + i] : 0f;
                sumA += v;
                if (b != null) {
                    sumAB += (double) v * (b[off + i] - mu);
                }
            }
            pending += hw;
            if (pending >= Reductions.BLOCK || img == n - 1) {
                sumA += VectorConfig.sumLanes(s0.add(s1));
                sumAB += VectorConfig.sumLanes(d0.add(d1));
                s0 = zero;
                s1 = zero;
                d0 = zero;
                d1 = zero;
                pending = 0;
            }
        }
        out.sumA = sumA;
        out.sumAB = sumAB;
    }

    /** {@code a[i..i+L)}, zeroed where the ReLU output y is not positive (y null: as it is). */
    private static FloatVector passed(float[] a, float[] y, int i, FloatVector zero) {
        FloatVector v = FloatVector.fromArray(S, a, i);
        return y == null ? v : zero.blend(v, FloatVector.fromArray(S, y, i).compare(VectorOperators.GT, 0f));
    }

    /** Σ (x − mu)² over one channel's segments, accumulated as {@link #channelSums} does. */
    private static double sumSqDev(float[] x, float mu, int n, int c, int hw, int ch) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0;
        double total = 0;
        int pending = 0;
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * hw, i = 0;
            for (int bound = hw - 2 * L; i <= bound; i += 2 * L) {
                FloatVector e0 = FloatVector.fromArray(S, x, off + i).sub(mu);
                FloatVector e1 = FloatVector.fromArray(S, x, off + i + L).sub(mu);
                s0 = e0.fma(e0, s0);
                s1 = e1.fma(e1, s1);
            }
            for (; i <= hw - L; i += L) {
                FloatVector e0 = FloatVector.fromArray(S, x, off + i).sub(mu);
                s0 = e0.fma(e0, s0);
            }
            for (; i < hw; i++) {
                double d = x[off + i] - mu;
                total += d * d;
            }
            pending += hw;
            if (pending >= Reductions.BLOCK || img == n - 1) {
                total += VectorConfig.sumLanes(s0.add(s1));
                s0 = FloatVector.zero(S);
                s1 = s0;
                pending = 0;
            }
        }
        return total;
    }

    /**
     * {@code y = (x − mu)·scale + shift} over one segment, plus {@code residual} and then ReLU when
     * asked (residual may be null). Centering first (rather than folding mu into the shift) avoids
     * cancellation when 1/σ is large, e.g. a channel with near-zero variance. The ReLU maps NaN to
     * 0, as the reference's does.
     */
    private static void normalize(float[] x, float[] residual, boolean relu, float[] y, int off, int len, float mu,
                                  float scale, float shift) {
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, off + i).sub(mu).fma(scale, shift);
            if (residual != null) {
                v = v.add(FloatVector.fromArray(S, residual, off + i));
            }
            if (relu) {
                v = zero.blend(v, v.compare(VectorOperators.GT, 0f));
            }
            v.intoArray(y, off + i);
        }
        for (; i < len; i++) {
            float v = (x[off + i] - mu) * scale + shift;
            if (residual != null) {
                v += residual[off + i];
            }
            y[off + i] = !relu || v > 0 ? v : 0f;
        }
    }

    /**
     * Training mode: batch statistics (mean, biased variance, 1/sqrt(var + eps)) written per
     * channel, then {@code y = bn(x)}, or {@code max(0, bn(x) + residual)} with {@code relu}.
     */
    static void train(float[] x, float[] residual, boolean relu, int n, int c, int hw, float[] gamma, float[] beta,
                      float eps, float[] y, float[] mean, float[] var, float[] invStd) {
        double count = (double) n * hw;
        WorkerPool.SHARED.run(c, ch -> {
            ChannelSums sums = new ChannelSums();
            channelSums(x, null, null, 0f, n, c, hw, ch, sums);
            double mu = sums.sumA / count;
            double biasedVar = sumSqDev(x, (float) mu, n, c, hw, ch) / count;
            double inv = 1.0 / Math.sqrt(biasedVar + eps);
            mean[ch] = (float) mu;
            var[ch] = (float) biasedVar;
            invStd[ch] = (float) inv;
            float scale = (float) ((gamma == null ? 1.0 : gamma[ch]) * inv);
            float shift = beta == null ? 0f : beta[ch];
            for (int b = 0; b < n; b++) {
                normalize(x, residual, relu, y, (b * c + ch) * hw, hw, (float) mu, scale, shift);
            }
        });
    }

    /** Eval mode with the given statistics, fused with residual and ReLU as {@link #train}. */
    static void eval(float[] x, float[] residual, boolean relu, int n, int c, int hw, float[] mean, float[] var,
                     float[] gamma, float[] beta, float eps, float[] y) {
        WorkerPool.SHARED.run(n * c, plane -> {
            int ch = plane % c;
            double inv = 1.0 / Math.sqrt((double) var[ch] + eps);
            float scale = (float) ((gamma == null ? 1.0 : gamma[ch]) * inv);
            normalize(x, residual, relu, y, plane * hw, hw, mean[ch], scale, beta == null ? 0f : beta[ch]);
        });
    }

    /**
     * Backward of training-mode batch norm, or of {@link #train} with ReLU when its output y is given:
     * then {@code gm = gy·[y > 0]} is written to gPre (if not null; it is the residual's gradient)
     * and the batch-norm gradients of gm go to gx, gGamma and gBeta (each may be null). Reads gy, x
     * (and y) twice and materialises nothing else.
     */
    static void backward(float[] x, float[] y, float[] gy, int n, int c, int hw, float[] gamma, float[] mean,
                         float[] invStd, float[] gPre, float[] gx, float[] gGamma, float[] gBeta) {
        double count = (double) n * hw;
        WorkerPool.SHARED.run(c, ch -> {
            float mu = mean[ch], inv = invStd[ch];
            ChannelSums sums = new ChannelSums();
            channelSums(gy, y, x, mu, n, c, hw, ch, sums);
            double sumG = sums.sumA, sumGXhat = sums.sumAB * inv;
            if (gGamma != null) {
                gGamma[ch] = (float) sumGXhat;
            }
            if (gBeta != null) {
                gBeta[ch] = (float) sumG;
            }
            if (gx == null && gPre == null) {
                return;
            }
            float scale = (float) ((gamma == null ? 1.0 : gamma[ch]) * inv);
            float meanG = (float) (sumG / count);
            float k = (float) (sumGXhat / count * inv);
            FloatVector zero = FloatVector.zero(S);
            for (int b = 0; b < n; b++) {
                int off = (b * c + ch) * hw, i = 0;
                for (int bound = S.loopBound(hw); i < bound; i += L) {
                    FloatVector g = passed(gy, y, off + i, zero);
                    if (gPre != null) {
                        g.intoArray(gPre, off + i);
                    }
                    if (gx != null) {
                        FloatVector d = FloatVector.fromArray(S, x, off + i).sub(mu);
                        g.sub(meanG).sub(d.mul(k)).mul(scale).intoArray(gx, off + i);
                    }
                }
                for (; i < hw; i++) {
                    float g = y == null || y[off + i] > 0 ? gy[off + i] : 0f;
                    if (gPre != null) {
                        gPre[off + i] = g;
                    }
                    if (gx != null) {
                        gx[off + i] = scale * (g - meanG - (x[off + i] - mu) * k);
                    }
                }
            }
        });
    }
}
