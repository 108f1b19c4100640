package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked micro-kernels of the direct convolution ({@link DirectConv}). Both read the
 * input through a table of tap offsets into a padded plane buffer, so the column matrix of
 * im2col is never built: the "B matrix" row of tap k at output position q is simply
 * {@code planes[q + offsets[k]]}, a contiguous window.
 *
 * <p>{@link #forwardTile} is {@link GemmMicroKernel#multiply} with the B row addressed through the
 * offset table. GEMM keeps its own copy: with a linear table the offset load cost its micro-kernel
 * 7% (kc = 128: 330 against 309 ns per tile, interleaved in one JVM, 2026-11-30).
 */
final class OffsetKernels {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    /** Output channels per forward tile. */
    static final int MR = 8;
    /** Output positions per forward tile (two vectors). */
    static final int NR = 2 * L;
    /** Output channels per weight-gradient tile. */
    static final int WM = 4;
    /** Taps per weight-gradient tile. */
    static final int WN = 4;

    private OffsetKernels() {
    }

    /**
     * {@code out[r·ldo + j] = Σ_k ap[aOff + k·MR + r] · planes[q0 + offsets[k] + j]} for r < MR and
     * j < NR: an MR × NR tile of output channels × output positions, accumulated over all
     * {@code taps} in registers and stored once: {@link #forwardStoreTile} on one contiguous
     * window of two vectors.
     */
    static void forwardTile(int taps, float[] ap, int aOff, int[] offsets, float[] planes, int q0,
                            float[] out, int outOff, int ldo) {
        forwardStoreTile(taps, ap, aOff, offsets, planes, q0, q0 + L, out, outOff, outOff + L, ldo, MR);
    }

    /**
     * A forward tile stored straight into the output: MR output channels × two vectors of output
     * positions, each vector read from its own place in the planes ({@code p0}, {@code p1}: valid
     * positions of one row each, no padded columns) and stored to its own place in y ({@code y0},
     * {@code y1}; channel r at {@code + r·ldy}, for r < rows only):
     * {@code y = Σ_k ap[aOff + k·MR + r]·planes[p + offsets[k] + j]}. The accumulators never pass
     * through a scratch buffer.
     */
    static void forwardStoreTile(int taps, float[] ap, int aOff, int[] offsets, float[] planes, int p0, int p1,
                                 float[] y, int y0, int y1, int ldy, int rows) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        FloatVector c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        for (int k = 0; k < taps; k++) {
            int o = offsets[k], ai = aOff + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, planes, p0 + o);
            FloatVector b1 = FloatVector.fromArray(S, planes, p1 + o);
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
        // Channels past `rows` (the zero-padded tail of the last block) are not stored.
        c00.intoArray(y, y0);
        c01.intoArray(y, y1);
        if (rows > 1) {
            c10.intoArray(y, y0 + ldy);
            c11.intoArray(y, y1 + ldy);
        }
        if (rows > 2) {
            c20.intoArray(y, y0 + 2 * ldy);
            c21.intoArray(y, y1 + 2 * ldy);
        }
        if (rows > 3) {
            c30.intoArray(y, y0 + 3 * ldy);
            c31.intoArray(y, y1 + 3 * ldy);
        }
        if (rows > 4) {
            c40.intoArray(y, y0 + 4 * ldy);
            c41.intoArray(y, y1 + 4 * ldy);
        }
        if (rows > 5) {
            c50.intoArray(y, y0 + 5 * ldy);
            c51.intoArray(y, y1 + 5 * ldy);
        }
        if (rows > 6) {
            c60.intoArray(y, y0 + 6 * ldy);
            c61.intoArray(y, y1 + 6 * ldy);
        }
        if (rows > 7) {
            c70.intoArray(y, y0 + 7 * ldy);
            c71.intoArray(y, y1 + 7 * ldy);
        }
    }

    /** Output positions per channel tile. */
    static final int CP = 6;
    /** Output channels per channel tile (four vectors). */
    static final int CC = 4 * L;

    /**
     * A channel tile, vectorized over output channels for maps too narrow for position vectors:
     * CP output positions (planes positions {@code p0..p5}) × CC output channels (a block of
     * tap-major weights at {@code wt[wOff + k·CC + c]}), accumulated over all taps;
     * {@code out[outOff + i·CC + c] = Σ_k wt[wOff + k·CC + c] · planes[p_i + offsets[k]]}. Each tap
     * loads four weight vectors and broadcasts six input values: 24 FMAs for 10 loads.
     */
    static void channelTile(int taps, float[] wt, int wOff, int[] offsets, float[] planes, int p0, int p1, int p2,
                            int p3, int p4, int p5, float[] out, int outOff) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        for (int k = 0; k < taps; k++) {
            int o = offsets[k], wi = wOff + k * CC;
            FloatVector w0 = FloatVector.fromArray(S, wt, wi), w1 = FloatVector.fromArray(S, wt, wi + L);
            FloatVector w2 = FloatVector.fromArray(S, wt, wi + 2 * L), w3 = FloatVector.fromArray(S, wt, wi + 3 * L);
            FloatVector x = FloatVector.broadcast(S, planes[p0 + o]);
            c00 = w0.fma(x, c00);
            c01 = w1.fma(x, c01);
            c02 = w2.fma(x, c02);
            c03 = w3.fma(x, c03);
            x = FloatVector.broadcast(S, planes[p1 + o]);
            c10 = w0.fma(x, c10);
            c11 = w1.fma(x, c11);
            c12 = w2.fma(x, c12);
            c13 = w3.fma(x, c13);
            x = FloatVector.broadcast(S, planes[p2 + o]);
            c20 = w0.fma(x, c20);
            c21 = w1.fma(x, c21);
            c22 = w2.fma(x, c22);
            c23 = w3.fma(x, c23);
            x = FloatVector.broadcast(S, planes[p3 + o]);
            c30 = w0.fma(x, c30);
            c31 = w1.fma(x, c31);
            c32 = w2.fma(x, c32);
            c33 = w3.fma(x, c33);
            x = FloatVector.broadcast(S, planes[p4 + o]);
            c40 = w0.fma(x, c40);
            c41 = w1.fma(x, c41);
            c42 = w2.fma(x, c42);
            c43 = w3.fma(x, c43);
            x = FloatVector.broadcast(S, planes[p5 + o]);
            c50 = w0.fma(x, c50);
            c51 = w1.fma(x, c51);
            c52 = w2.fma(x, c52);
            c53 = w3.fma(x, c53);
        }
        int d = outOff;
        c00.intoArray(out, d);
        c01.intoArray(out, d + L);
        c02.intoArray(out, d + 2 * L);
        c03.intoArray(out, d + 3 * L);
        d += CC;
        c10.intoArray(out, d);
        c11.intoArray(out, d + L);
        c12.intoArray(out, d + 2 * L);
        c13.intoArray(out, d + 3 * L);
        d += CC;
        c20.intoArray(out, d);
        c21.intoArray(out, d + L);
        c22.intoArray(out, d + 2 * L);
        c23.intoArray(out, d + 3 * L);
        d += CC;
        c30.intoArray(out, d);
        c31.intoArray(out, d + L);
        c32.intoArray(out, d + 2 * L);
        c33.intoArray(out, d + 3 * L);
        d += CC;
        c40.intoArray(out, d);
        c41.intoArray(out, d + L);
        c42.intoArray(out, d + 2 * L);
        c43.intoArray(out, d + 3 * L);
        d += CC;
        c50.intoArray(out, d);
        c51.intoArray(out, d + L);
        c52.intoArray(out, d + 2 * L);
        c53.intoArray(out, d + 3 * L);
    }

    /**
     * Weight-gradient tile: for WM output channels × WN taps, adds, over {@code imgs} images i and
     * positions q in [0, len) (a multiple of L),
     * {@code gy[gOff + i·gyStride + r·ldg + q] · planes[i·planeStride + q + offsets[t0 + j]]} into
     * lane-wise accumulators {@code acc[accOff + (r·accLd + j)·L + lane]}. Lanes stay separate
     * until {@link DirectConv} adds them in a fixed order, so the reduction over a chunk of images
     * runs in registers with no horizontal adds.
     */
    static void weightTile(float[] gy, int gOff, int ldg, int len, int imgs, int gyStride, float[] planes,
                           int planeStride, int[] offsets, int t0, float[] acc, int accOff, int accLd) {
        int rowL = accLd * L;
        int a0 = accOff, a1 = a0 + rowL, a2 = a1 + rowL, a3 = a2 + rowL;
        FloatVector s00 = FloatVector.fromArray(S, acc, a0), s01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector s02 = FloatVector.fromArray(S, acc, a0 + 2 * L), s03 = FloatVector.fromArray(S, acc, a0 + 3 * L);
        FloatVector s10 = FloatVector.fromArray(S, acc, a1), s11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector s12 = FloatVector.fromArray(S, acc, a1 + 2 * L), s13 = FloatVector.fromArray(S, acc, a1 + 3 * L);
        FloatVector s20 = FloatVector.fromArray(S, acc, a2), s21 = FloatVector.fromArray(S, acc, a2 + L);
        FloatVector s22 = FloatVector.fromArray(S, acc, a2 + 2 * L), s23 = FloatVector.fromArray(S, acc, a2 + 3 * L);
        FloatVector s30 = FloatVector.fromArray(S, acc, a3), s31 = FloatVector.fromArray(S, acc, a3 + L);
        FloatVector s32 = FloatVector.fromArray(S, acc, a3 + 2 * L), s33 = FloatVector.fromArray(S, acc, a3 + 3 * L);
        for (int i = 0; i < imgs; i++) {
            int g0 = gOff + i * gyStride, g1 = g0 + ldg, g2 = g1 + ldg, g3 = g2 + ldg;
            int pOff = i * planeStride;
            int o0 = pOff + offsets[t0], o1 = pOff + offsets[t0 + 1], o2 = pOff + offsets[t0 + 2], o3 = pOff + offsets[t0 + 3];
            for (int q = 0; q < len; q += L) {
                FloatVector y0 = FloatVector.fromArray(S, gy, g0 + q);
                FloatVector y1 = FloatVector.fromArray(S, gy, g1 + q);
                FloatVector y2 = FloatVector.fromArray(S, gy, g2 + q);
                FloatVector y3 = FloatVector.fromArray(S, gy, g3 + q);
                FloatVector x = FloatVector.fromArray(S, planes, o0 + q);
                s00 = y0.fma(x, s00);
                s10 = y1.fma(x, s10);
                s20 = y2.fma(x, s20);
                s30 = y3.fma(x, s30);
                x = FloatVector.fromArray(S, planes, o1 + q);
                s01 = y0.fma(x, s01);
                s11 = y1.fma(x, s11);
                s21 = y2.fma(x, s21);
                s31 = y3.fma(x, s31);
                x = FloatVector.fromArray(S, planes, o2 + q);
                s02 = y0.fma(x, s02);
                s12 = y1.fma(x, s12);
                s22 = y2.fma(x, s22);
                s32 = y3.fma(x, s32);
                x = FloatVector.fromArray(S, planes, o3 + q);
                s03 = y0.fma(x, s03);
                s13 = y1.fma(x, s13);
                s23 = y2.fma(x, s23);
                s33 = y3.fma(x, s33);
            }
        }
        s00.intoArray(acc, a0);
        s01.intoArray(acc, a0 + L);
        s02.intoArray(acc, a0 + 2 * L);
        s03.intoArray(acc, a0 + 3 * L);
        s10.intoArray(acc, a1);
        s11.intoArray(acc, a1 + L);
        s12.intoArray(acc, a1 + 2 * L);
        s13.intoArray(acc, a1 + 3 * L);
        s20.intoArray(acc, a2);
        s21.intoArray(acc, a2 + L);
        s22.intoArray(acc, a2 + 2 * L);
        s23.intoArray(acc, a2 + 3 * L);
        s30.intoArray(acc, a3);
        s31.intoArray(acc, a3 + L);
        s32.intoArray(acc, a3 + 2 * L);
        s33.intoArray(acc, a3 + 3 * L);
    }
}
