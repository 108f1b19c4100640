package org.jqat.kernels.cpu;

/**
 * Blocked single-precision GEMM, {@code C = alpha·op(A)·op(B) + beta·C} on row-major arrays.
 *
 * <p>Loop order follows Goto/BLIS: a KC-deep slab of B is packed once per (jc, pc) and reused by
 * every MC-row block of A; inside, one NR-wide B sliver stays in L1 while the MR-row A slivers of
 * the packed A block (in L2) stream past it. Beta is applied only by the first k slab, so C is
 * read and written once per slab and beta == 0 never reads C.
 */
final class Gemm {
    /**
     * Depth of a packed slab. Deep slabs keep each C tile in registers across up to 1024 products
     * before it is merged into C (whose rows are out of cache by then): SGEMM 1024³ on Zen 5 ran
     * 171–184 GFLOPS on one thread and 324–334 on two with 1024, against 107–154 and 243–255 with
     * 128 (2026-11-30). The B sliver (KC × NR) then streams from L2, which keeps up.
     */
    static final int KC = 1024;
    static final int MC = 16 * GemmMicroKernel.MR;
    static final int NC = 2048;
    /** Below this many multiply-adds the hand-off to another thread costs more than it saves. */
    private static final long PARALLEL_MIN_FLOPS = 1L << 21;

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private Gemm() {
    }

    /**
     * Per-thread packing buffers, grown to the largest blocks this thread has packed and reused by
     * every later call (the small GEMMs of convolutions never ask for the full MC × KC and KC × NC).
     */
    private static final class Scratch {
        float[] a = new float[0];
        float[] b = new float[0];
        final float[] tile = new float[GemmMicroKernel.MR * GemmMicroKernel.NR];

        float[] a(int size) {
            if (a.length < size) {
                a = new float[size];
            }
            return a;
        }

        float[] b(int size) {
            if (b.length < size) {
                b = new float[size];
            }
            return b;
        }
    }

    /** Multithreaded entry: splits the larger of M and N into disjoint blocks of C, one per part. */
    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                     float beta, float[] c, int cOff, int ldc) {
        WorkerPool pool = WorkerPool.SHARED;
        int threads = pool.threads();
        if (threads == 1 || (long) m * n * k < PARALLEL_MIN_FLOPS) {
            serial(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        boolean splitN = n >= m;
        int unit = splitN ? GemmMicroKernel.NR : GemmMicroKernel.MR;
        int extent = splitN ? n : m;
        int blocks = (extent + unit - 1) / unit;
        int parts = Math.min(threads, blocks);
        pool.run(parts, p -> {
            int lo = (int) ((long) blocks * p / parts) * unit;
            int hi = Math.min(extent, (int) ((long) blocks * (p + 1) / parts) * unit);
            if (lo >= hi) {
                return;
            }
            if (splitN) {
                serial(transA, transB, m, hi - lo, k, alpha, a, aOff, lda,
                        b, transB ? bOff + lo * ldb : bOff + lo, ldb, beta, c, cOff + lo, ldc);
            } else {
                serial(transA, transB, hi - lo, n, k, alpha, a, transA ? aOff + lo : aOff + lo * lda, lda,
                        b, bOff, ldb, beta, c, cOff + lo * ldc, ldc);
            }
        });
    }

    /** Single-threaded blocked GEMM on the calling thread (used inside already-parallel conv loops). */
    static void serial(boolean transA, boolean transB, int m, int n, int k, float alpha,
                       float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                       float beta, float[] c, int cOff, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0 || alpha == 0f) {
            scaleC(m, n, beta, c, cOff, ldc);
            return;
        }
        Scratch s = SCRATCH.get();
        final int mr = GemmMicroKernel.MR, nr = GemmMicroKernel.NR;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc);
                float slabBeta = pc == 0 ? beta : 1f;
                float[] packedB = s.b(roundUp(nc, nr) * kc);
                Packing.packB(transB, b, bOff, ldb, pc, kc, jc, nc, packedB);
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    float[] packedA = s.a(roundUp(mc, mr) * kc);
                    Packing.packA(transA, a, aOff, lda, ic, mc, pc, kc, alpha, packedA);
                    for (int jr = 0; jr < nc; jr += nr) {
                        int cols = Math.min(nr, nc - jr);
                        int bPanel = (jr / nr) * nr * kc;
                        for (int ir = 0; ir < mc; ir += mr) {
                            GemmMicroKernel.run(kc, packedA, (ir / mr) * mr * kc, packedB, bPanel,
                                    c, cOff + (ic + ir) * ldc + jc + jr, ldc,
                                    Math.min(mr, mc - ir), cols, slabBeta, s.tile);
                        }
                    }
                }
            }
        }
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    private static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            int o = cOff + i * ldc;
            if (beta == 0f) {
                java.util.Arrays.fill(c, o, o + n, 0f);
            } else if (beta != 1f) {
                for (int j = 0; j < n; j++) {
                    c[o + j] *= beta;
                }
            }
        }
    }
}
