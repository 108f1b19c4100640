package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
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

    /** Σ (x − mu)² over one contiguous segment. */
    private static double sumSqDev(float[] x, int off, int len, float mu) {
        double total = 0;
        for (int start = 0; start < len; start += Reductions.BLOCK) {
            int end = Math.min(len, start + Reductions.BLOCK), i = start;
            FloatVector acc = FloatVector.zero(S);
            for (int bound = start + S.loopBound(end - start); i < bound; i += L) {
                FloatVector d = FloatVector.fromArray(S, x, off + i).sub(mu);
                acc = d.fma(d, acc);
            }
            double t = VectorConfig.sumLanes(acc);
            for (; i < end; i++) {
                double d = x[off + i] - mu;
                t += d * d;
            }
            total += t;
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
            double sum = 0;
            for (int b = 0; b < n; b++) {
                sum += Reductions.sum(x, (b * c + ch) * hw, hw);
            }
            double mu = sum / count;
            double sq = 0;
            for (int b = 0; b < n; b++) {
                sq += sumSqDev(x, (b * c + ch) * hw, hw, (float) mu);
            }
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

    static void backward(float[] x, float[] gy, int n, int c, int hw, float[] gamma, float[] mean, float[] invStd,
                         float[] gx, float[] gGamma, float[] gBeta) {
        double count = (double) n * hw;
        WorkerPool.SHARED.run(c, ch -> {
            float mu = mean[ch], inv = invStd[ch];
            double sumG = 0, sumGDev = 0;
            for (int b = 0; b < n; b++) {
                int off = (b * c + ch) * hw;
                sumG += Reductions.sum(gy, off, hw);
                sumGDev += dotDev(gy, x, off, hw, mu);
            }
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

    /** Σ g·(x − mu) over one segment. */
    private static double dotDev(float[] g, float[] x, int off, int len, float mu) {
        double total = 0;
        for (int start = 0; start < len; start += Reductions.BLOCK) {
            int end = Math.min(len, start + Reductions.BLOCK), i = start;
            FloatVector acc = FloatVector.zero(S);
            for (int bound = start + S.loopBound(end - start); i < bound; i += L) {
                acc = FloatVector.fromArray(S, x, off + i).sub(mu).fma(FloatVector.fromArray(S, g, off + i), acc);
            }
            double t = VectorConfig.sumLanes(acc);
            for (; i < end; i++) {
                t += (double) g[off + i] * (x[off + i] - mu);
            }
            total += t;
        }
        return total;
    }
}
