package org.jqat.kernels.cpu;

/**
 * Copies blocks of GEMM operands into the panel layout the micro-kernel streams: A as
 * {@code MR}-row slivers (k-major, alpha folded in), B as {@code NR}-column slivers (k-major).
 * Edge slivers are zero-padded so the micro-kernel never needs a bounds check inside its k loop.
 * Packing is O(mk + kn) against the O(mnk) multiply, so it stays scalar and simple.
 */
final class Packing {
    private Packing() {
    }

    /** Packs rows [i0, i0+mc) × depth [p0, p0+kc) of op(A), scaled by alpha, into {@code dst}. */
    static void packA(boolean transA, float[] a, int aOff, int lda, int i0, int mc, int p0, int kc,
                      float alpha, float[] dst) {
        final int mr = GemmMicroKernel.MR;
        int d = 0;
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
