package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Batch norm over {@code [n, c, hw]}, parallel over channels (each channel's statistics are a
 * private reduction, so no combining step is needed). Statistics are float-vector block sums
 * folded into doubles; per-element transforms are one vector multiply-add per element.
 */
final class BatchNormKernels {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;

    private BatchNormKernels() {
    }

    /**
     * Per-channel sums run over the n segments {@code (img·c + ch)·hw} of one channel with float
     * vector accumulators that carry across segments (small maps such as 8×8 would otherwise pay a
     * horizontal add per image), folded into a double every {@link Reductions#BLOCK} elements so
     * the error stays near the double-accumulating reference's. The order is fixed, so results are
     * deterministic.
     */
    /** Σ a and Σ a·(b − mu) of one channel. */
    private static final class ChannelSums {
        double sumA, sumAB;
    }

    /** Σ a and (if {@code b != null}) Σ a·(b − mu) over one channel's segments, in one pass. */
    private static void channelSums(float[] a, float[] b, float mu, int n, int c, int hw, int ch, ChannelSums out) {
        FloatVector s0 = FloatVector.zero(S), s1 = s0, d0 = s0, d1 = s0;
        double sumA = 0, sumAB = 0;
        int pending = 0;
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * hw, i = 0;
            for (int bound = hw - 2 * L; i <= bound; i += 2 * L) {
                FloatVector a0 = FloatVector.fromArray(S, a, off + i), a1 = FloatVector.fromArray(S, a, off + i + L);
                s0 = s0.add(a0);
                s1 = s1.add(a1);
                if (b != null) {
                    d0 = FloatVector.fromArray(S, b, off + i).sub(mu).fma(a0, d0);
                    d1 = FloatVector.fromArray(S, b, off + i + L).sub(mu).fma(a1, d1);
                }
            }
            for (; i <= hw - L; i += L) {
                FloatVector a0 = FloatVector.fromArray(S, a, off + i);
                s0 = s0.add(a0);
                if (b != null) {
                    d0 = FloatVector.fromArray(S, b, off + i).sub(mu).fma(a0, d0);
                }
            }
            for (; i < hw; i++) {
                sumA += a[off + i];
                if (b != null) {
                    sumAB += (double) a[off + i] * (b[off + i] - mu);
                }
            }
            pending += hw;
            if (pending >= Reductions.BLOCK || img == n - 1) {
                sumA += VectorConfig.sumLanes(s0.add(s1));
                sumAB += VectorConfig.sumLanes(d0.add(d1));
                s0 = FloatVector.zero(S);
                s1 = s0;
                d0 = s0;
                d1 = s0;
                pending = 0;
            }
        }
        out.sumA = sumA;
        out.sumAB = sumAB;
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
     * y = (x − mu)·scale + shift over one segment. Centering first (rather than folding mu into
     * the shift) avoids cancellation when 1/σ is large, e.g. a channel with near-zero variance.
     */
    private static void normalize(float[] x, float[] y, int off, int len, float mu, float scale, float shift) {
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += L) {
            FloatVector.fromArray(S, x, off + i).sub(mu).fma(scale, shift).intoArray(y, off + i);
        }
        for (; i < len; i++) {
            y[off + i] = (x[off + i] - mu) * scale + shift;
        }
    }

    static void train(float[] x, int n, int c, int hw, float[] gamma, float[] beta, float eps,
                      float[] y, float[] mean, float[] var, float[] invStd) {
        double count = (double) n * hw;
        WorkerPool.SHARED.run(c, ch -> {
            ChannelSums sums = new ChannelSums();
            channelSums(x, null, 0f, n, c, hw, ch, sums);
            double mu = sums.sumA / count;
            double sq = sumSqDev(x, (float) mu, n, c, hw, ch);
            double biasedVar = sq / count;
            double inv = 1.0 / Math.sqrt(biasedVar + eps);
            mean[ch] = (float) mu;
            var[ch] = (float) biasedVar;
            invStd[ch] = (float) inv;
            double scale = (gamma == null ? 1.0 : gamma[ch]) * inv;
            float shift = beta == null ? 0f : beta[ch];
            for (int b = 0; b < n; b++) {
                normalize(x, y, (b * c + ch) * hw, hw, (float) mu, (float) scale, shift);
            }
        });
    }

    static void eval(float[] x, int n, int c, int hw, float[] mean, float[] var, float[] gamma, float[] beta,
                     float eps, float[] y) {
        WorkerPool.SHARED.run(n * c, plane -> {
            int ch = plane % c;
            double inv = 1.0 / Math.sqrt((double) var[ch] + eps);
            double scale = (gamma == null ? 1.0 : gamma[ch]) * inv;
            normalize(x, y, plane * hw, hw, mean[ch], (float) scale, beta == null ? 0f : beta[ch]);
        });
    }

    /** {@code y = max(0, bnEval(x) + residual)} in one pass (residual may be null), the eval map of {@link #eval}. */
    static void evalRelu(float[] x, float[] residual, int n, int c, int hw, float[] mean, float[] var, float[] gamma,
                         float[] beta, float eps, float[] y) {
        WorkerPool.SHARED.run(n * c, plane -> {
            int ch = plane % c, off = plane * hw, i = 0;
            double inv = 1.0 / Math.sqrt((double) var[ch] + eps);
            float scale = (float) ((gamma == null ? 1.0 : gamma[ch]) * inv);
            float shift = beta == null ? 0f : beta[ch], m = mean[ch];
            FloatVector zero = FloatVector.zero(S);
            for (int bound = S.loopBound(hw); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, off + i).sub(m).fma(scale, shift);
                if (residual != null) {
                    v = v.add(FloatVector.fromArray(S, residual, off + i));
                }
                zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, off + i);
            }
            for (; i < hw; i++) {
                float v = (x[off + i] - m) * scale + shift + (residual == null ? 0f : residual[off + i]);
                y[off + i] = v > 0 ? v : 0f;
            }
        });
    }

    static void backward(float[] x, float[] gy, int n, int c, int hw, float[] gamma, float[] mean, float[] invStd,
                         float[] gx, float[] gGamma, float[] gBeta) {
        double count = (double) n * hw;
        WorkerPool.SHARED.run(c, ch -> {
            float mu = mean[ch], inv = invStd[ch];
            ChannelSums sums = new ChannelSums();
            channelSums(gy, x, mu, n, c, hw, ch, sums);
            double sumG = sums.sumA, sumGDev = sums.sumAB;
            double sumGXhat = sumGDev * inv;
            if (gGamma != null) {
                gGamma[ch] = (float) sumGXhat;
            }
            if (gBeta != null) {
                gBeta[ch] = (float) sumG;
            }
            if (gx == null) {
                return;
            }
            float scale = (float) ((gamma == null ? 1.0 : gamma[ch]) * inv);
            float meanG = (float) (sumG / count);
            float k = (float) (sumGXhat / count * inv);
            for (int b = 0; b < n; b++) {
                int off = (b * c + ch) * hw, i = 0;
                for (int bound = S.loopBound(hw); i < bound; i += L) {
                    FloatVector d = FloatVector.fromArray(S, x, off + i).sub(mu);
                    FloatVector.fromArray(S, gy, off + i).sub(meanG).sub(d.mul(k)).mul(scale).intoArray(gx, off + i);
                }
                for (; i < hw; i++) {
                    gx[off + i] = scale * (gy[off + i] - meanG - (x[off + i] - mu) * k);
                }
            }
        });
    }

    // ---- fused batch norm + residual + ReLU (training mode) ---------------------------------

    /** {@code y = max(0, bn(x) + residual)} (residual may be null), statistics as {@link #train}. */
    static void trainRelu(float[] x, float[] residual, int n, int c, int hw, float[] gamma, float[] beta, float eps,
                          float[] y, float[] mean, float[] var, float[] invStd) {
        double count = (double) n * hw;
        WorkerPool.SHARED.run(c, ch -> {
            ChannelSums sums = new ChannelSums();
            channelSums(x, null, 0f, n, c, hw, ch, sums);
            double mu = sums.sumA / count;
            double biasedVar = sumSqDev(x, (float) mu, n, c, hw, ch) / count;
            double inv = 1.0 / Math.sqrt(biasedVar + eps);
            mean[ch] = (float) mu;
            var[ch] = (float) biasedVar;
            invStd[ch] = (float) inv;
            float scale = (float) ((gamma == null ? 1.0 : gamma[ch]) * inv);
            float shift = beta == null ? 0f : beta[ch], m = (float) mu;
            FloatVector zero = FloatVector.zero(S);
            for (int b = 0; b < n; b++) {
                int off = (b * c + ch) * hw, i = 0;
                for (int bound = S.loopBound(hw); i < bound; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, off + i).sub(m).fma(scale, shift);
                    if (residual != null) {
                        v = v.add(FloatVector.fromArray(S, residual, off + i));
                    }
                    zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, off + i); // NaN -> 0, as the reference's relu
                }
                for (; i < hw; i++) {
                    float v = (x[off + i] - m) * scale + shift + (residual == null ? 0f : residual[off + i]);
                    y[off + i] = v > 0 ? v : 0f;
                }
            }
        });
    }

    /**
     * Backward of {@link #trainRelu} from its output y: with {@code gm = gy·[y > 0]}, writes gm to
     * gPre (if not null), and the batch-norm gradients of gm to gx, gGamma and gBeta (each may be
     * null), reading gy, x and y twice and materialising nothing else.
     */
    static void backwardRelu(float[] x, float[] y, float[] gy, int n, int c, int hw, float[] gamma, float[] mean,
                             float[] invStd, float[] gPre, float[] gx, float[] gGamma, float[] gBeta) {
        double count = (double) n * hw;
        WorkerPool.SHARED.run(c, ch -> {
            float mu = mean[ch], inv = invStd[ch];
            ChannelSums sums = new ChannelSums();
            maskedSums(gy, y, x, mu, n, c, hw, ch, sums);
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
                    VectorMask<Float> on = FloatVector.fromArray(S, y, off + i).compare(VectorOperators.GT, 0f);
                    FloatVector g = zero.blend(FloatVector.fromArray(S, gy, off + i), on);
                    if (gPre != null) {
                        g.intoArray(gPre, off + i);
                    }
                    if (gx != null) {
                        FloatVector d = FloatVector.fromArray(S, x, off + i).sub(mu);
                        g.sub(meanG).sub(d.mul(k)).mul(scale).intoArray(gx, off + i);
                    }
                }
                for (; i < hw; i++) {
                    float g = y[off + i] > 0 ? gy[off + i] : 0f;
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

    /** Σ g·[y > 0] and Σ g·[y > 0]·(x − mu) over one channel, accumulated as {@link #channelSums} does. */
    private static void maskedSums(float[] g, float[] y, float[] x, float mu, int n, int c, int hw, int ch,
                                   ChannelSums out) {
        FloatVector zero = FloatVector.zero(S), s0 = zero, d0 = zero;
        double sumA = 0, sumAB = 0;
        int pending = 0;
        for (int img = 0; img < n; img++) {
            int off = (img * c + ch) * hw, i = 0;
            for (int bound = S.loopBound(hw); i < bound; i += L) {
                VectorMask<Float> on = FloatVector.fromArray(S, y, off + i).compare(VectorOperators.GT, 0f);
                FloatVector a = zero.blend(FloatVector.fromArray(S, g, off + i), on);
                s0 = s0.add(a);
                d0 = FloatVector.fromArray(S, x, off + i).sub(mu).fma(a, d0);
            }
            for (; i < hw; i++) {
                if (y[off + i] > 0) {
                    sumA += g[off + i];
                    sumAB += (double) g[off + i] * (x[off + i] - mu);
                }
            }
            pending += hw;
            if (pending >= Reductions.BLOCK || img == n - 1) {
                sumA += VectorConfig.sumLanes(s0);
                sumAB += VectorConfig.sumLanes(d0);
                s0 = zero;
                d0 = zero;
                pending = 0;
            }
        }
        out.sumA = sumA;
        out.sumAB = sumAB;
    }
}
