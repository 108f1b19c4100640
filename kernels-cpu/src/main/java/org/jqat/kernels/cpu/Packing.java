package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.ElementwiseKernels.ZIP_HI;
import static org.jqat.kernels.cpu.ElementwiseKernels.ZIP_LO;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Copies blocks of GEMM operands into the panel layout the micro-kernel streams: A as
 * {@code MR}-row slivers (k-major, alpha folded in), B as {@code NR}-column slivers (k-major).
 * Edge slivers are zero-padded so the micro-kernel never needs a bounds check inside its k loop.
 * B's rows are copied whole ({@code System.arraycopy}); A's slivers of a row-major A are a
 * transpose of MR rows, done L columns at a time through registers ({@link #sliverA}), with the
 * value-by-value loop of {@link #packAScalar} for transposed A, edge slivers and the last columns.
 */
final class Packing {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;

    private Packing() {
    }

    /** Packs rows [i0, i0+mc) × depth [p0, p0+kc) of op(A), scaled by alpha, into {@code dst}. */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                      float alpha, float[] dst) {
        final int mr = GemmMicroKernel.MR;
        if (transA || mr != 8 || kc < L) {
            packAScalar(transA, a, aOff, lda, i0, mc, p0, kc, alpha, dst);
            return;
        }
        int d = 0;
        int vectorCols = kc - kc % L;
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            if (rows < mr) {
                // the last, partial sliver: value by value, zero rows below
                packAScalar(false, a, aOff, lda, i0 + ir, rows, p0, kc, alpha, dst, d);
            } else {
                int src = aOff + (i0 + ir) * lda + p0;
                for (int p = 0; p < vectorCols; p += L) {
                    sliverA(a, src + p, lda, alpha, dst, d + p * mr);
                }
                for (int r = 0; r < mr; r++) {
                    for (int p = vectorCols; p < kc; p++) {
                        dst[d + p * mr + r] = alpha * a[src + r * lda + p];
                    }
                }
            }
            d += mr * kc;
        }
    }

    /**
     * {@code dst[d + p·8 + r] = alpha·a[s + r·lda + p]} for r < 8, p < L: eight rows of L values
     * transposed through registers. Interleaving rows (0, 4), (2, 6), (1, 5), (3, 7), then those
     * pairs' streams (0, 4 with 2, 6; 1, 5 with 3, 7), then the two streams gives every column's
     * eight rows in order: 3·8 two-vector permutes, 8 loads and 8 stores for 8·L values, where
     * the value-by-value loop strode through the sliver eight times.
     */
    private static void sliverA(float[] a, int s, int lda, float alpha, float[] dst, int d) {
        FloatVector r0 = FloatVector.fromArray(S, a, s), r1 = FloatVector.fromArray(S, a, s + lda);
        FloatVector r2 = FloatVector.fromArray(S, a, s + 2 * lda), r3 = FloatVector.fromArray(S, a, s + 3 * lda);
        FloatVector r4 = FloatVector.fromArray(S, a, s + 4 * lda), r5 = FloatVector.fromArray(S, a, s + 5 * lda);
        FloatVector r6 = FloatVector.fromArray(S, a, s + 6 * lda), r7 = FloatVector.fromArray(S, a, s + 7 * lda);
        if (alpha != 1f) {
            r0 = r0.mul(alpha);
            r1 = r1.mul(alpha);
            r2 = r2.mul(alpha);
            r3 = r3.mul(alpha);
            r4 = r4.mul(alpha);
            r5 = r5.mul(alpha);
            r6 = r6.mul(alpha);
            r7 = r7.mul(alpha);
        }
        // rows (0, 4), (2, 6), (1, 5), (3, 7) interleaved: streams of two vectors each
        FloatVector a0 = r0.rearrange(ZIP_LO, r4), a1 = r0.rearrange(ZIP_HI, r4);
        FloatVector b0 = r2.rearrange(ZIP_LO, r6), b1 = r2.rearrange(ZIP_HI, r6);
        FloatVector c0 = r1.rearrange(ZIP_LO, r5), c1 = r1.rearrange(ZIP_HI, r5);
        FloatVector e0 = r3.rearrange(ZIP_LO, r7), e1 = r3.rearrange(ZIP_HI, r7);
        // even rows (0, 2, 4, 6) and odd rows (1, 3, 5, 7): streams of four vectors
        FloatVector s0 = a0.rearrange(ZIP_LO, b0), s1 = a0.rearrange(ZIP_HI, b0);
        FloatVector s2 = a1.rearrange(ZIP_LO, b1), s3 = a1.rearrange(ZIP_HI, b1);
        FloatVector t0 = c0.rearrange(ZIP_LO, e0), t1 = c0.rearrange(ZIP_HI, e0);
        FloatVector t2 = c1.rearrange(ZIP_LO, e1), t3 = c1.rearrange(ZIP_HI, e1);
        // all eight rows of each column in order
        s0.rearrange(ZIP_LO, t0).intoArray(dst, d);
        s0.rearrange(ZIP_HI, t0).intoArray(dst, d + L);
        s1.rearrange(ZIP_LO, t1).intoArray(dst, d + 2 * L);
        s1.rearrange(ZIP_HI, t1).intoArray(dst, d + 3 * L);
        s2.rearrange(ZIP_LO, t2).intoArray(dst, d + 4 * L);
        s2.rearrange(ZIP_HI, t2).intoArray(dst, d + 5 * L);
        s3.rearrange(ZIP_LO, t3).intoArray(dst, d + 6 * L);
        s3.rearrange(ZIP_HI, t3).intoArray(dst, d + 7 * L);
    }

    /** Scalar twin of {@link #packA} (the reference its tests compare with; also its transposed-A and edge path). */
    static void packAScalar(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                            float alpha, float[] dst) {
        packAScalar(transA, a, aOff, lda, i0, mc, p0, kc, alpha, dst, 0);
    }

    private static void packAScalar(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                                    float alpha, float[] dst, int dOff) {
        final int mr = GemmMicroKernel.MR;
        int d = dOff;
        for (int ir = 0; ir < mc; ir += mr) {
            int rows = Math.min(mr, mc - ir);
            if (!transA) {
                for (int r = 0; r < mr; r++) {
                    if (r < rows) {
                        int src = aOff + (i0 + ir + r) * lda + p0;
                        for (int p = 0; p < kc; p++) {
                            dst[d + p * mr + r] = alpha * a[src + p];
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            dst[d + p * mr + r] = 0f;
                        }
                    }
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + i0 + ir;
                    int o = d + p * mr;
                    for (int r = 0; r < rows; r++) {
                        dst[o + r] = alpha * a[src + r];
                    }
                    for (int r = rows; r < mr; r++) {
                        dst[o + r] = 0f;
                    }
                }
            }
            d += mr * kc;
        }
    }

    /** Packs depth [p0, p0+kc) × columns [j0, j0+nc) of op(B) into {@code dst}. */
    static void packB(boolean transB, float[] b, int bOff, int ldb, int p0, int kc, int j0, int nc, float[] dst) {
        final int nr = GemmMicroKernel.NR;
        int d = 0;
        for (int jr = 0; jr < nc; jr += nr) {
            int cols = Math.min(nr, nc - jr);
            if (!transB) {
                for (int p = 0; p < kc; p++) {
                    int o = d + p * nr;
                    System.arraycopy(b, bOff + (p0 + p) * ldb + j0 + jr, dst, o, cols);
                    for (int j = cols; j < nr; j++) {
                        dst[o + j] = 0f;
                    }
                }
            } else {
                for (int j = 0; j < nr; j++) {
                    if (j < cols) {
                        int src = bOff + (j0 + jr + j) * ldb + p0;
                        for (int p = 0; p < kc; p++) {
                            dst[d + p * nr + j] = b[src + p];
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            dst[d + p * nr + j] = 0f;
                        }
                    }
                }
            }
            d += nr * kc;
        }
    }
}
