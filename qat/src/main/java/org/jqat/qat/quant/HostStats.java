package org.jqat.qat.quant;

/**
 * Per-channel statistics on the host, for initialising and observing quantizers. Channels are
 * along axis 0 (contiguous blocks of {@code numel/channels} values) or the whole tensor.
 */
final class HostStats {
    private HostStats() {
    }

    interface Reducer {
        double apply(float[] v, int from, int to);
    }

    static float[] perChannel(float[] v, int channels, Reducer r) {
        float[] out = new float[channels];
        int inner = v.length / channels;
        for (int c = 0; c < channels; c++) {
            out[c] = (float) r.apply(v, c * inner, (c + 1) * inner);
        }
        return out;
    }

    static double meanAbs(float[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += Math.abs(v[i]);
        }
        return to > from ? s / (to - from) : 0;
    }

    static double min(float[] v, int from, int to) {
        float m = Float.POSITIVE_INFINITY;
        for (int i = from; i < to; i++) {
            m = Math.min(m, v[i]);
        }
        return m;
    }

    static double max(float[] v, int from, int to) {
        float m = Float.NEGATIVE_INFINITY;
        for (int i = from; i < to; i++) {
            m = Math.max(m, v[i]);
        }
        return m;
    }

    /** LSQ+'s weight statistic max(|μ − 3σ|, |μ + 3σ|) (population σ). */
    static double threeSigma(float[] v, int from, int to) {
        int n = to - from;
        if (n == 0) {
            return 0;
        }
        double mean = 0;
        for (int i = from; i < to; i++) {
            mean += v[i];
        }
        mean /= n;
        double var = 0;
        for (int i = from; i < to; i++) {
            var += (v[i] - mean) * (v[i] - mean);
        }
        double sd = Math.sqrt(var / n);
        return Math.max(Math.abs(mean - 3 * sd), Math.abs(mean + 3 * sd));
    }

    /** A step must be positive: a zero statistic (an all-zero tensor) would divide by zero. */
    static float positive(double step) {
        return (float) (step > 1e-8 && Double.isFinite(step) ? step : 1e-8);
    }
}
