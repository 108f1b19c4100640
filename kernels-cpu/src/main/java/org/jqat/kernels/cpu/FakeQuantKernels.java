package org.jqat.kernels.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.jqat.core.backend.FakeQuantShape;

/**
 * One-pass fake-quantize forward and backward (see {@link FakeQuantShape} for the formula).
 *
 * <p>Forward does exactly the oracle's float operations ({@code (x − β) / s}, clamp, round half
 * even, {@code q·s + β}; division, never a reciprocal multiply, and no FMA), so y and the mask are
 * bit-identical. The Vector API has no round-to-integer op, so rint uses the 1.5·2²³ trick, which
 * is exact for |v| < 2²² (always true for a clamped v when |qmin|, |qmax| < 2²²; other ranges take
 * the scalar loop) and then gets the sign of zero back from v. Mask bits come straight from the
 * compare mask via {@link VectorMask#toLong()}.
 *
 * <p>Work is split in chunks of {@link #GRAIN} elements (a multiple of 64, so no two chunks share
 * a mask word). Backward sums go per chunk into double partials that are combined in chunk
 * order, so grad_s and grad_offset are reproducible whatever the thread count.
 */
final class FakeQuantKernels {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    static final int GRAIN = 1 << 16;
    private static final float MAGIC = 12582912f; // 1.5·2^23
    private static final float EXACT_LIMIT = 4194304f; // 2^22
    private static final int SIGN = 0x80000000;

    private FakeQuantKernels() {
    }

    private static boolean magicExact(FakeQuantShape s) {
        return Math.abs(s.qmin()) < EXACT_LIMIT && Math.abs(s.qmax()) < EXACT_LIMIT;
    }

    static void forward(FakeQuantShape s, float[] x, float[] scale, float[] offset, float[] y, long[] words) {
        int total = s.size(), inner = s.inner(), ch = s.channels();
        if (total == 0) {
            Arrays.fill(words, 0L);
            return;
        }
        boolean vector = magicExact(s);
        Parallel.forRange(total, GRAIN, (lo, hi) -> {
            Arrays.fill(words, lo >>> 6, (hi + 63) >>> 6, 0L);
            for (int k = lo; k < hi; ) {
                int seg = k / inner, c = seg % ch, end = Math.min(hi, (seg + 1) * inner);
                float step = scale[c], beta = offset == null ? 0f : offset[c];
                int done = vector ? forwardVector(x, y, words, k, end, step, beta, s.qmin(), s.qmax()) : k;
                forwardScalar(x, y, words, done, end, step, beta, s.qmin(), s.qmax());
                k = end;
            }
        });
    }

    /** Vector part of one channel segment; returns where the scalar tail starts. */
    private static int forwardVector(float[] x, float[] y, long[] words, int from, int to,
                                     float step, float beta, float qmin, float qmax) {
        FloatVector vStep = FloatVector.broadcast(S, step), vBeta = FloatVector.broadcast(S, beta);
        int i = from;
        for (; i <= to - L; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i).sub(vBeta).div(vStep);
            VectorMask<Float> inside = v.compare(VectorOperators.GE, qmin).and(v.compare(VectorOperators.LE, qmax));
            // rint(clamp(v))·step + β, rint keeping the sign of zero (see quantizeRow)
            FloatVector c = v.max(qmin).min(qmax), r = c.add(MAGIC).sub(MAGIC);
            IntVector sign = ((IntVector) c.reinterpretAsInts()).and(SIGN);
            ((IntVector) r.reinterpretAsInts()).or(sign).reinterpretAsFloats().mul(vStep).add(vBeta).intoArray(y, i);
            long bits = inside.toLong();
            if (bits != 0) {
                int w = i >>> 6, sh = i & 63;
                words[w] |= bits << sh;
                if (sh + L > 64) {
                    words[w + 1] |= bits >>> (64 - sh);
                }
            }
        }
        return i;
    }

    /** The fake-quantize of one value, exactly as {@link #forwardScalar} computes it. */
    static float quantize(float x, float step, float beta, float qmin, float qmax) {
        float v = (x - beta) / step;
        return (float) Math.rint(Math.min(Math.max(v, qmin), qmax)) * step + beta;
    }

    /**
     * {@code y[yOff + i] = quantize(x[xOff + i])} for i < len, no mask: the values {@link #forward}
     * writes, bit for bit (for layers that quantize their input while copying it).
     */
    static void quantizeRow(float[] x, int xOff, float[] y, int yOff, int len, float step, float beta, float qmin,
                            float qmax) {
        int i = 0;
        if (Math.abs(qmin) < EXACT_LIMIT && Math.abs(qmax) < EXACT_LIMIT) {
            FloatVector vStep = FloatVector.broadcast(S, step), vBeta = FloatVector.broadcast(S, beta);
            for (; i <= len - L; i += L) {
                // rint(clamp(v))·step + β, rint as c + 1.5·2^23 − 1.5·2^23 (round half to even for
                // |c| < 2^22) with c's sign put back (Math.rint keeps the sign of zero). Written out
                // rather than in helpers taking vectors: a helper the JIT does not inline (inside a
                // large caller, or compiled alone first and then "too big") boxes its vectors and runs
                // the Java fallback; it did in plane building under block replacement, 6% of the step.
                FloatVector c = FloatVector.fromArray(S, x, xOff + i).sub(vBeta).div(vStep).max(qmin).min(qmax);
                FloatVector r = c.add(MAGIC).sub(MAGIC);
                IntVector sign = ((IntVector) c.reinterpretAsInts()).and(SIGN);
                ((IntVector) r.reinterpretAsInts()).or(sign).reinterpretAsFloats().mul(vStep).add(vBeta)
                        .intoArray(y, yOff + i);
            }
        }
        for (; i < len; i++) {
            y[yOff + i] = quantize(x[xOff + i], step, beta, qmin, qmax);
        }
    }

    /** The oracle's loop, for tails and for ranges too wide for the vector rint. */
    static void forwardScalar(float[] x, float[] y, long[] words, int from, int to,
                              float step, float beta, float qmin, float qmax) {
        for (int k = from; k < to; k++) {
            float v = (x[k] - beta) / step;
            boolean inside = v >= qmin && v <= qmax;
            y[k] = quantize(x[k], step, beta, qmin, qmax);
            if (inside) {
                words[k >>> 6] |= 1L << (k & 63);
            }
        }
    }

    /**
     * The backward pass; {@code words} is the forward's mask, or null to recompute it from x (the
     * same compare of the same {@code (x − β) / s}, so the same bits) when the forward wrote none.
     */
    static void backward(FakeQuantShape s, float[] x, float[] gy, float[] scale, float[] offset, long[] words,
                         float[] gx, float[] gScale, float[] gOffset) {
        int total = s.size(), inner = s.inner(), ch = s.channels();
        boolean sums = gScale != null || gOffset != null;
        boolean vector = magicExact(s);
        int chunks = Parallel.chunks(total, GRAIN);
        double[] partS = sums ? new double[Math.max(1, chunks) * ch] : null;
        double[] partO = sums ? new double[Math.max(1, chunks) * ch] : null;
        Parallel.forRange(total, GRAIN, (lo, hi) -> {
            int part = lo / GRAIN;
            double[] acc = new double[2];
            for (int k = lo; k < hi; ) {
                int seg = k / inner, c = seg % ch, end = Math.min(hi, (seg + 1) * inner);
                float step = scale[c], beta = offset == null ? 0f : offset[c];
                acc[0] = 0;
                acc[1] = 0;
                int done = vector ? backwardVector(s, x, gy, words, gx, sums, k, end, step, beta, acc) : k;
                backwardScalar(s, x, gy, words, gx, sums, done, end, step, beta, acc);
                if (sums) {
                    partS[part * ch + c] += acc[0];
                    partO[part * ch + c] += acc[1];
                }
                k = end;
            }
        });
        if (!sums) {
            return;
        }
        for (int c = 0; c < ch; c++) {
            double ts = 0, to = 0;
            for (int p = 0; p < chunks; p++) {
                ts += partS[p * ch + c];
                to += partO[p * ch + c];
            }
            if (gScale != null) {
                gScale[c] = (float) (ts * s.gradScale());
            }
            if (gOffset != null) {
                gOffset[c] = (float) (to * s.gradScale());
            }
        }
    }

    private static int backwardVector(FakeQuantShape s, float[] x, float[] gy, long[] words, float[] gx, boolean sums,
                                      int from, int to, float step, float beta, double[] acc) {
        FloatVector vStep = FloatVector.broadcast(S, step), vBeta = FloatVector.broadcast(S, beta);
        FloatVector zero = FloatVector.zero(S), vQmin = FloatVector.broadcast(S, s.qmin()), vQmax = FloatVector.broadcast(S, s.qmax());
        boolean stepInside = s.stepGradInside();
        // Two copies of the loop, by where the mask comes from, and no vector variable that may be null:
        // a vector or mask merged from two sources (or from null) is boxed on every iteration (the
        // Java fallback, 185 MiB of garbage per LSQ step before, 2026-11-30).
        int i = from;
        while (i <= to - L) {
            int blockEnd = Math.min(to - L, i + Reductions.BLOCK);
            FloatVector accS = zero, accO = zero;
            if (words == null) {
                for (; i <= blockEnd; i += L) {
                    FloatVector v = FloatVector.fromArray(S, x, i).sub(vBeta).div(vStep);
                    VectorMask<Float> inside = v.compare(VectorOperators.GE, vQmin).and(v.compare(VectorOperators.LE, vQmax));
                    FloatVector g = FloatVector.fromArray(S, gy, i);
                    if (gx != null) {
                        zero.blend(g, inside).intoArray(gx, i);
                    }
                    if (sums) {
                        FloatVector outTerm = vQmax.blend(vQmin, v.compare(VectorOperators.LT, vQmin));
                        FloatVector inTerm = stepInside ? v.add(MAGIC).sub(MAGIC).sub(v) : zero;
                        accS = g.fma(outTerm.blend(inTerm, inside), accS);
                        accO = accO.add(g.blend(zero, inside));
                    }
                }
            } else {
                for (; i <= blockEnd; i += L) {
                    int w = i >>> 6, sh = i & 63;
                    long bits = words[w] >>> sh;
                    if (sh + L > 64) {
                        bits |= words[w + 1] << (64 - sh);
                    }
                    VectorMask<Float> inside = VectorMask.fromLong(S, bits);
                    FloatVector g = FloatVector.fromArray(S, gy, i);
                    if (gx != null) {
                        zero.blend(g, inside).intoArray(gx, i);
                    }
                    if (sums) {
                        FloatVector v = FloatVector.fromArray(S, x, i).sub(vBeta).div(vStep);
                        FloatVector outTerm = vQmax.blend(vQmin, v.compare(VectorOperators.LT, vQmin));
                        FloatVector inTerm = stepInside ? v.add(MAGIC).sub(MAGIC).sub(v) : zero;
                        accS = g.fma(outTerm.blend(inTerm, inside), accS);
                        accO = accO.add(g.blend(zero, inside));
                    }
                }
            }
            if (sums) {
                acc[0] += VectorConfig.sumLanes(accS);
                acc[1] += VectorConfig.sumLanes(accO);
            }
        }
        return i;
    }

    /** The oracle's loop for tails. */
    static void backwardScalar(FakeQuantShape s, float[] x, float[] gy, long[] words, float[] gx, boolean sums,
                               int from, int to, float step, float beta, double[] acc) {
        for (int k = from; k < to; k++) {
            float v = (x[k] - beta) / step;
            boolean inside = words == null ? v >= s.qmin() && v <= s.qmax() : (words[k >>> 6] >>> (k & 63) & 1L) != 0;
            if (gx != null) {
                gx[k] = inside ? gy[k] : 0f;
            }
            if (!sums) {
                continue;
            }
            if (inside) {
                if (s.stepGradInside()) {
                    acc[0] += (double) gy[k] * ((float) Math.rint(v) - v);
                }
            } else {
                acc[0] += (double) gy[k] * (v < s.qmin() ? s.qmin() : s.qmax());
                acc[1] += gy[k];
            }
        }
    }
}
