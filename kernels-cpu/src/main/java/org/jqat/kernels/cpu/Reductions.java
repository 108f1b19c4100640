package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.jqat.core.backend.ReduceOp;

/**
 * Vectorized sums, dot products and axis reductions. Sums run in float vector lanes over blocks
 * of at most {@link #BLOCK} elements and the block totals are added in double, which keeps the
 * error near the double-accumulating oracle's while the inner loop stays pure vector adds.
 */
final class Reductions {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    static final int BLOCK = 4096;

    private Reductions() {
    }

    /** Σ a[aOff+i·as]·b[bOff+i·bs], vector when both strides are 1. */
    static double dot(float[] a, int aOff, int as, float[] b, int bOff, int bs, int n) {
        if (as != 1 || bs != 1) {
            double acc = 0;
            for (int i = 0; i < n; i++) {
                acc += (double) a[aOff + i * as] * b[bOff + i * bs];
            }
            return acc;
        }
        double total = 0;
        for (int start = 0; start < n; start += BLOCK) {
            int len = Math.min(BLOCK, n - start), i = 0;
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(len); i < bound; i += L) {
                acc = FloatVector.fromArray(S, a, aOff + start + i).fma(FloatVector.fromArray(S, b, bOff + start + i), acc);
            }
            double t = VectorConfig.sumLanes(acc);
            for (; i < len; i++) {
                t += (double) a[aOff + start + i] * b[bOff + start + i];
            }
            total += t;
        }
        return total;
    }

    /** Σ a[off..off+n). */
    static double sum(float[] a, int off, int n) {
        double total = 0;
        for (int start = 0; start < n; start += BLOCK) {
            int len = Math.min(BLOCK, n - start), i = 0;
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(len); i < bound; i += L) {
                acc = acc.add(FloatVector.fromArray(S, a, off + start + i));
            }
            double t = VectorConfig.sumLanes(acc);
            for (; i < len; i++) {
                t += a[off + start + i];
            }
            total += t;
        }
        return total;
    }

    /** Per-channel sums of [n, c, hw], parallel over channels. */
    static void channelSum(float[] x, int n, int c, int hw, float[] out) {
        WorkerPool.SHARED.run(c, ch -> {
            double acc = 0;
            for (int b = 0; b < n; b++) {
                acc += sum(x, (b * c + ch) * hw, hw);
            }
            out[ch] = (float) acc;
        });
    }

    /** Reduces the middle axis of [outer, n, inner]. */
    static void reduce(ReduceOp op, float[] x, int outer, int n, int inner, float[] out) {
        if (inner == 1) {
            Parallel.forRange(outer, Math.max(1, ElementwiseKernels.GRAIN / Math.max(1, n)), (lo, hi) -> {
                for (int o = lo; o < hi; o++) {
                    out[o] = reduceContiguous(op, x, o * n, n);
                }
            });
            return;
        }
        // inner > 1: accumulate whole rows of length inner with vector lanes across inner.
        WorkerPool.SHARED.run(outer, o -> {
            int base = o * n * inner, dst = o * inner;
            if (op == ReduceOp.SUM) {
                double[] acc = new double[inner];
                for (int j = 0; j < n; j++) {
                    int row = base + j * inner;
                    for (int i = 0; i < inner; i++) {
                        acc[i] += x[row + i];
                    }
                }
                for (int i = 0; i < inner; i++) {
                    out[dst + i] = (float) acc[i];
                }
                return;
            }
            if (n == 0) {
                java.util.Arrays.fill(out, dst, dst + inner, op == ReduceOp.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY);
                return;
            }
            System.arraycopy(x, base, out, dst, inner);
            for (int j = 1; j < n; j++) {
                int row = base + j * inner, i = 0;
                for (int bound = S.loopBound(inner); i < bound; i += L) {
                    FloatVector a = FloatVector.fromArray(S, out, dst + i), v = FloatVector.fromArray(S, x, row + i);
                    (op == ReduceOp.MAX ? a.max(v) : a.min(v)).intoArray(out, dst + i);
                }
                for (; i < inner; i++) {
                    out[dst + i] = op == ReduceOp.MAX ? Math.max(out[dst + i], x[row + i]) : Math.min(out[dst + i], x[row + i]);
                }
            }
        });
    }

    private static float reduceContiguous(ReduceOp op, float[] x, int off, int n) {
        if (op == ReduceOp.SUM) {
            return (float) sum(x, off, n);
        }
        if (n == 0) {
            return op == ReduceOp.MAX ? Float.NEGATIVE_INFINITY : Float.POSITIVE_INFINITY;
        }
        int i = 0;
        float r = x[off];
        if (n >= L) {
            FloatVector acc = FloatVector.fromArray(S, x, off);
            for (int bound = S.loopBound(n); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, off + i);
                acc = op == ReduceOp.MAX ? acc.max(v) : acc.min(v);
            }
            r = acc.reduceLanes(op == ReduceOp.MAX ? VectorOperators.MAX : VectorOperators.MIN);
        }
        for (; i < n; i++) {
            r = op == ReduceOp.MAX ? Math.max(r, x[off + i]) : Math.min(r, x[off + i]);
        }
        return r;
    }
}
