package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked inner kernel: an {@code MR × NR} tile of C kept in {@code MR·2} vector
 * registers while k runs, one broadcast of A and two loads of B per row step, all FMAs.
 * MR = 6 with two vectors per row keeps 12 accumulators + 3 operands within AVX2's 16 registers
 * and leaves AVX-512's 32 comfortably unspilled.
 */
final class GemmMicroKernel {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    static final int MR = 6;
    static final int NR = 2 * L;

    private GemmMicroKernel() {
    }

    /**
     * C[0..rows, 0..cols) = beta·C + Ap·Bp over kc steps, where beta 0 means overwrite (old C
     * ignored, NaN included) and beta 1 means accumulate. {@code tile} is MR·NR scratch for edges.
     */
    static void run(int kc, float[] ap, int aOff, float[] bp, int bOff, float[] c, int cOff, int ldc,
                    int rows, int cols, float beta, float[] tile) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int ai = aOff, bi = bOff;
        for (int p = 0; p < kc; p++, ai += MR, bi += NR) {
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
        }
        if (rows == MR && cols == NR) {
            store(c, cOff, c00, c01, beta);
            store(c, cOff + ldc, c10, c11, beta);
            store(c, cOff + 2 * ldc, c20, c21, beta);
            store(c, cOff + 3 * ldc, c30, c31, beta);
            store(c, cOff + 4 * ldc, c40, c41, beta);
            store(c, cOff + 5 * ldc, c50, c51, beta);
            return;
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
        for (int r = 0; r < rows; r++) {
            int co = cOff + r * ldc, to = r * NR;
            for (int j = 0; j < cols; j++) {
                float acc = tile[to + j];
                c[co + j] = beta == 0f ? acc : beta == 1f ? c[co + j] + acc : beta * c[co + j] + acc;
            }
        }
    }

    private static void store(float[] c, int off, FloatVector v0, FloatVector v1, float beta) {
        if (beta == 0f) {
            v0.intoArray(c, off);
            v1.intoArray(c, off + L);
        } else if (beta == 1f) {
            FloatVector.fromArray(S, c, off).add(v0).intoArray(c, off);
            FloatVector.fromArray(S, c, off + L).add(v1).intoArray(c, off + L);
        } else {
            FloatVector.fromArray(S, c, off).mul(beta).add(v0).intoArray(c, off);
            FloatVector.fromArray(S, c, off + L).mul(beta).add(v1).intoArray(c, off + L);
        }
    }
}
