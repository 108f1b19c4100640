package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel: an {@code MR × NR} tile of C held in {@code MR·2} vector
 * accumulators while k runs, one broadcast of A and two loads of B per row step, all FMAs.
 *
 * <p>MR = 8 with two vectors per row (16 accumulators) reaches the FMA peak measured on this
 * machine with both 256- and 512-bit species (32 vector registers with AVX-512VL). The k loop
 * only ever writes its accumulators to a small tile; merging into C is a separate method because
 * keeping the beta/edge branches in the same compiled body halved the loop's throughput.
 */
final class GemmMicroKernel {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    static final int MR = 8;
    static final int NR = 2 * L;

    private GemmMicroKernel() {
    }

    /**
     * C[0..rows, 0..cols) = beta·C + Ap·Bp over kc steps, where beta 0 means overwrite (old C
     * ignored, NaN included) and beta 1 means accumulate. {@code tile} is MR·NR scratch.
     */
    static void run(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                    int rows, int cols, float beta, float[] tile) {
        multiply(kc, ap, aOff, bp, bOff, tile);
        if (rows == MR && cols == NR) {
            mergeFull(tile, c, cOff, ldc, beta);
        } else {
            mergeEdge(tile, c, cOff, ldc, rows, cols, beta);
        }
    }

    /** tile = Ap·Bp; the hot loop, kept free of anything but loads and FMAs. */
    static void multiply(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int p = 0; p < kc; p++) {
            int ai = aOff + p * MR, bi = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, bp, bi);
            FloatVector b1 = FloatVector.fromArray(S, bp, bi + L);
            FloatVector a = FloatVector.broadcast(S, ap[ai]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(S, ap[ai + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(S, ap[ai + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(S, ap[ai + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(S, ap[ai + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(S, ap[ai + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            a = FloatVector.broadcast(S, ap[ai + 6]);
            c60 = a.fma(b0, c60);
            c61 = a.fma(b1, c61);
            a = FloatVector.broadcast(S, ap[ai + 7]);
            c70 = a.fma(b0, c70);
            c71 = a.fma(b1, c71);
        }
        c00.intoArray(tile, 0);
        c01.intoArray(tile, L);
        c10.intoArray(tile, NR);
        c11.intoArray(tile, NR + L);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + L);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + L);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + L);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + L);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + L);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + L);
    }

    private static void mergeFull(float[] tile, float[] c, int cOff, int ldc, float beta) {
        for (int r = 0; r < MR; r++) {
            int co = cOff + r * ldc;
            for (int v = 0; v < NR; v += L) {
                FloatVector acc = FloatVector.fromArray(S, tile, r * NR + v);
                if (beta == 0f) {
                    acc.intoArray(c, co + v);
                } else if (beta == 1f) {
                    FloatVector.fromArray(S, c, co + v).add(acc).intoArray(c, co + v);
                } else {
                    FloatVector.fromArray(S, c, co + v).mul(beta).add(acc).intoArray(c, co + v);
                }
            }
        }
    }

    private static void mergeEdge(float[] tile, float[] c, int cOff, int ldc, int rows, int cols, float beta) {
        for (int r = 0; r < rows; r++) {
            int co = cOff + r * ldc, to = r * NR;
            for (int j = 0; j < cols; j++) {
                float acc = tile[to + j];
                c[co + j] = beta == 0f ? acc : beta == 1f ? c[co + j] + acc : beta * c[co + j] + acc;
            }
        }
    }
}
