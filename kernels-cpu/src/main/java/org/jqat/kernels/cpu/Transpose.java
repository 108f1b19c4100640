package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.ElementwiseKernels.ZIP_HI;
import static org.jqat.kernels.cpu.ElementwiseKernels.ZIP_LO;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix transposes for the kernels' layouts: an output gradient made position-major for the
 * channel-vectorized weight gradient, weights made tap-major for the channel tiles. Under 16
 * lanes, 16 × 16 blocks go through registers (four rounds of interleaving row i with row i + 8,
 * each rotating the bits of the (row, column) index left by one, so four make the transpose: 64
 * two-vector permutes, 16 loads and 16 stores for 256 values); edges and other widths go value by
 * value in cache-sized blocks. Measured on Zen 5 (in cache): 64 × 576 weights 22.4 µs value by
 * value, 4.3 µs by register blocks; a 64-channel 8 × 8 gradient 2.4 against 0.37 µs.
 */
final class Transpose {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    /** The register block: 16 × 16 under 16 lanes; 0 (no register blocks) otherwise. */
    private static final int BLOCK = L == 16 ? 16 : 0;

    private Transpose() {
    }

    /** {@code dst[dOff + c·rows + r] = src[sOff + r·cols + c]} for r < rows, c < cols. */
    static void transpose(float[] src, int sOff, int rows, int cols, float[] dst, int dOff) {
        int r1 = BLOCK == 0 ? 0 : rows - rows % BLOCK, c1 = BLOCK == 0 ? 0 : cols - cols % BLOCK;
        for (int r0 = 0; r0 < r1; r0 += BLOCK) {
            for (int c0 = 0; c0 < c1; c0 += BLOCK) {
                block16(src, sOff + r0 * cols + c0, cols, dst, dOff + c0 * rows + r0, rows);
            }
        }
        scalar(src, sOff, rows, cols, dst, dOff, 0, r1, c1, cols); // right edge
        scalar(src, sOff, rows, cols, dst, dOff, r1, rows, 0, cols); // bottom edge
    }

    /** The values of rows [ra, rb) and columns [ca, cb), in 16 × 16 blocks that keep both sides in cache lines. */
    private static void scalar(float[] src, int sOff, int rows, int cols, float[] dst, int dOff, int ra, int rb, int ca,
                               int cb) {
        final int b = 16;
        for (int r0 = ra; r0 < rb; r0 += b) {
            int re = Math.min(rb, r0 + b);
            for (int c0 = ca; c0 < cb; c0 += b) {
                int ce = Math.min(cb, c0 + b);
                for (int r = r0; r < re; r++) {
                    int si = sOff + r * cols;
                    for (int c = c0; c < ce; c++) {
                        dst[dOff + c * rows + r] = src[si + c];
                    }
                }
            }
        }
    }

    /** {@code dst[d + p·ldd + c] = src[s + c·lds + p]} for p, c < 16, through registers (16 lanes). */
    private static void block16(float[] src, int s, int lds, float[] dst, int d, int ldd) {
        FloatVector r0 = FloatVector.fromArray(S, src, s), r1 = FloatVector.fromArray(S, src, s + lds);
        FloatVector r2 = FloatVector.fromArray(S, src, s + 2 * lds), r3 = FloatVector.fromArray(S, src, s + 3 * lds);
        FloatVector r4 = FloatVector.fromArray(S, src, s + 4 * lds), r5 = FloatVector.fromArray(S, src, s + 5 * lds);
        FloatVector r6 = FloatVector.fromArray(S, src, s + 6 * lds), r7 = FloatVector.fromArray(S, src, s + 7 * lds);
        FloatVector r8 = FloatVector.fromArray(S, src, s + 8 * lds), r9 = FloatVector.fromArray(S, src, s + 9 * lds);
        FloatVector r10 = FloatVector.fromArray(S, src, s + 10 * lds), r11 = FloatVector.fromArray(S, src, s + 11 * lds);
        FloatVector r12 = FloatVector.fromArray(S, src, s + 12 * lds), r13 = FloatVector.fromArray(S, src, s + 13 * lds);
        FloatVector r14 = FloatVector.fromArray(S, src, s + 14 * lds), r15 = FloatVector.fromArray(S, src, s + 15 * lds);
        FloatVector a0 = r0.rearrange(ZIP_LO, r8), a1 = r0.rearrange(ZIP_HI, r8);
        FloatVector a2 = r1.rearrange(ZIP_LO, r9), a3 = r1.rearrange(ZIP_HI, r9);
        FloatVector a4 = r2.rearrange(ZIP_LO, r10), a5 = r2.rearrange(ZIP_HI, r10);
        FloatVector a6 = r3.rearrange(ZIP_LO, r11), a7 = r3.rearrange(ZIP_HI, r11);
        FloatVector a8 = r4.rearrange(ZIP_LO, r12), a9 = r4.rearrange(ZIP_HI, r12);
        FloatVector a10 = r5.rearrange(ZIP_LO, r13), a11 = r5.rearrange(ZIP_HI, r13);
        FloatVector a12 = r6.rearrange(ZIP_LO, r14), a13 = r6.rearrange(ZIP_HI, r14);
        FloatVector a14 = r7.rearrange(ZIP_LO, r15), a15 = r7.rearrange(ZIP_HI, r15);
        FloatVector b0 = a0.rearrange(ZIP_LO, a8), b1 = a0.rearrange(ZIP_HI, a8);
        FloatVector b2 = a1.rearrange(ZIP_LO, a9), b3 = a1.rearrange(ZIP_HI, a9);
        FloatVector b4 = a2.rearrange(ZIP_LO, a10), b5 = a2.rearrange(ZIP_HI, a10);
        FloatVector b6 = a3.rearrange(ZIP_LO, a11), b7 = a3.rearrange(ZIP_HI, a11);
        FloatVector b8 = a4.rearrange(ZIP_LO, a12), b9 = a4.rearrange(ZIP_HI, a12);
        FloatVector b10 = a5.rearrange(ZIP_LO, a13), b11 = a5.rearrange(ZIP_HI, a13);
        FloatVector b12 = a6.rearrange(ZIP_LO, a14), b13 = a6.rearrange(ZIP_HI, a14);
        FloatVector b14 = a7.rearrange(ZIP_LO, a15), b15 = a7.rearrange(ZIP_HI, a15);
        FloatVector c0 = b0.rearrange(ZIP_LO, b8), c1 = b0.rearrange(ZIP_HI, b8);
        FloatVector c2 = b1.rearrange(ZIP_LO, b9), c3 = b1.rearrange(ZIP_HI, b9);
        FloatVector c4 = b2.rearrange(ZIP_LO, b10), c5 = b2.rearrange(ZIP_HI, b10);
        FloatVector c6 = b3.rearrange(ZIP_LO, b11), c7 = b3.rearrange(ZIP_HI, b11);
        FloatVector c8 = b4.rearrange(ZIP_LO, b12), c9 = b4.rearrange(ZIP_HI, b12);
        FloatVector c10 = b5.rearrange(ZIP_LO, b13), c11 = b5.rearrange(ZIP_HI, b13);
        FloatVector c12 = b6.rearrange(ZIP_LO, b14), c13 = b6.rearrange(ZIP_HI, b14);
        FloatVector c14 = b7.rearrange(ZIP_LO, b15), c15 = b7.rearrange(ZIP_HI, b15);
        FloatVector d0 = c0.rearrange(ZIP_LO, c8), d1 = c0.rearrange(ZIP_HI, c8);
        FloatVector d2 = c1.rearrange(ZIP_LO, c9), d3 = c1.rearrange(ZIP_HI, c9);
        FloatVector d4 = c2.rearrange(ZIP_LO, c10), d5 = c2.rearrange(ZIP_HI, c10);
        FloatVector d6 = c3.rearrange(ZIP_LO, c11), d7 = c3.rearrange(ZIP_HI, c11);
        FloatVector d8 = c4.rearrange(ZIP_LO, c12), d9 = c4.rearrange(ZIP_HI, c12);
        FloatVector d10 = c5.rearrange(ZIP_LO, c13), d11 = c5.rearrange(ZIP_HI, c13);
        FloatVector d12 = c6.rearrange(ZIP_LO, c14), d13 = c6.rearrange(ZIP_HI, c14);
        FloatVector d14 = c7.rearrange(ZIP_LO, c15), d15 = c7.rearrange(ZIP_HI, c15);
        d0.intoArray(dst, d);
        d1.intoArray(dst, d + ldd);
        d2.intoArray(dst, d + 2 * ldd);
        d3.intoArray(dst, d + 3 * ldd);
        d4.intoArray(dst, d + 4 * ldd);
        d5.intoArray(dst, d + 5 * ldd);
        d6.intoArray(dst, d + 6 * ldd);
        d7.intoArray(dst, d + 7 * ldd);
        d8.intoArray(dst, d + 8 * ldd);
        d9.intoArray(dst, d + 9 * ldd);
        d10.intoArray(dst, d + 10 * ldd);
        d11.intoArray(dst, d + 11 * ldd);
        d12.intoArray(dst, d + 12 * ldd);
        d13.intoArray(dst, d + 13 * ldd);
        d14.intoArray(dst, d + 14 * ldd);
        d15.intoArray(dst, d + 15 * ldd);
    }
}
