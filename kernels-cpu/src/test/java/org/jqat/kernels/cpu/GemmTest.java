package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;

import java.util.Random;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

class GemmTest {

    private static void check(Random r, boolean ta, boolean tb, int m, int n, int k, float alpha, float beta,
                              int padA, int padB, int padC, int offA, int offB, int offC) {
        int rowsA = ta ? k : m, colsA = ta ? m : k;
        int rowsB = tb ? n : k, colsB = tb ? k : n;
        int lda = colsA + padA, ldb = colsB + padB, ldc = n + padC;
        float[] a = randn(r, offA + rowsA * lda);
        float[] b = randn(r, offB + rowsB * ldb);
        float[] c = randn(r, offC + m * ldc);
        if (beta == 0f && c.length > 0) {
            c[c.length - 1] = Float.NaN; // beta == 0 must ignore old C, NaN included
            c[offC] = Float.NaN;
        }
        Storage ce = storage(c), ca = storage(c);
        REF.gemm(ta, tb, m, n, k, alpha, storage(a), offA, lda, storage(b), offB, ldb, beta, ce, offC, ldc);
        CPU.gemm(ta, tb, m, n, k, alpha, storage(a), offA, lda, storage(b), offB, ldb, beta, ca, offC, ldc);
        assertClose(data(ce), data(ca), sumTol(k) * 4,
                "gemm ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k + " beta=" + beta);
    }

    @Test
    void matchesReferenceOnTailSizesAllTranspositions() {
        Random r = new Random(11);
        int[] sizes = {1, 7, 8, 9, 15, 17, 31, 33, 63, 65};
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int m : sizes) {
                    int n = sizes[r.nextInt(sizes.length)], k = sizes[r.nextInt(sizes.length)];
                    float beta = new float[] {0f, 1f, 0.5f}[r.nextInt(3)];
                    check(r, ta, tb, m, n, k, 1.25f, beta, r.nextInt(3), r.nextInt(3), r.nextInt(3),
                            r.nextInt(5), r.nextInt(5), r.nextInt(5));
                }
            }
        }
    }

    @Test
    void largeBlockedAndParallelShapes() {
        Random r = new Random(12);
        // Crosses MC (128), NC (2048), KC (1024: two slabs, beta on the first only) and the parallel
        // threshold; odd sizes leave edge tiles everywhere.
        check(r, false, false, 301, 259, 300, 1f, 0f, 0, 0, 0, 0, 0, 0);
        check(r, false, false, 37, 45, 1100, 1f, 0.5f, 0, 0, 0, 0, 0, 0);
        check(r, true, true, 19, 33, 2051, 0.5f, 1f, 2, 0, 1, 0, 0, 3);
        check(r, true, false, 150, 400, 257, 0.5f, 1f, 3, 0, 5, 7, 0, 2);
        check(r, false, true, 133, 77, 513, -1f, 0.25f, 0, 9, 0, 0, 3, 0);
        check(r, true, true, 64, 2100, 130, 1f, 0f, 1, 1, 1, 1, 1, 1);
    }

    /**
     * The parallel path (C split in column or row blocks, one per thread) gives exactly serial's
     * bits: across KC slabs (k > 1024), NC (n > 2048), MC edges and transposes.
     */
    @Test
    void parallelEqualsSerialBitForBit() {
        Random r = new Random(14);
        int[][] shapes = {{129, 301, 257}, {37, 2100, 1100}, {200, 200, 64}, {9, 4099, 33}, {517, 90, 300}};
        int before = org.jqat.core.Threads.count();
        org.jqat.core.Threads.set(3);
        try {
            for (int[] d : shapes) {
                int m = d[0], n = d[1], k = d[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        int lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 3;
                        float[] a = randn(r, (ta ? k : m) * lda), b = randn(r, (tb ? n : k) * ldb);
                        float[] c = randn(r, m * ldc), cs = c.clone(), cp = c.clone();
                        Gemm.serial(ta, tb, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, 0.5f, cs, 0, ldc);
                        Gemm.gemm(ta, tb, m, n, k, 0.75f, a, 0, lda, b, 0, ldb, 0.5f, cp, 0, ldc);
                        assertBitExact(cs, cp, "parallel gemm m=" + m + " n=" + n + " k=" + k + " ta=" + ta + " tb=" + tb);
                    }
                }
            }
        } finally {
            org.jqat.core.Threads.set(before);
        }
    }

    @Test
    void degenerateSizes() {
        Random r = new Random(13);
        check(r, false, false, 5, 6, 0, 1f, 0f, 0, 0, 0, 0, 0, 0);   // k == 0 with beta 0 zeroes C
        check(r, false, false, 5, 6, 0, 1f, 0.5f, 0, 0, 0, 0, 0, 0); // k == 0 scales C
        check(r, false, false, 0, 6, 4, 1f, 0f, 0, 0, 0, 0, 0, 0);
        check(r, false, false, 5, 6, 4, 0f, 1f, 0, 0, 0, 0, 0, 0);   // alpha == 0 leaves beta·C
    }
}
