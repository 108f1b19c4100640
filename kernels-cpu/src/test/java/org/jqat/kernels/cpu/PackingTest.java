package org.jqat.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The register-transposing {@link Packing#packA} against its value-by-value twin, bit for bit. */
class PackingTest {

    private static void check(Random r, boolean transA, int mc, int kc, int lda, int aOff, int i0, int p0, float alpha) {
        int rows = transA ? p0 + kc : i0 + mc;
        float[] a = TestData.randn(r, aOff + rows * lda);
        int size = (mc + GemmMicroKernel.MR - 1) / GemmMicroKernel.MR * GemmMicroKernel.MR * kc;
        float[] fast = new float[size + 7], slow = new float[size + 7];
        java.util.Arrays.fill(fast, Float.NaN); // every packed value is written, padding rows included
        java.util.Arrays.fill(slow, Float.NaN);
        Packing.packA(transA, a, aOff, lda, i0, mc, p0, kc, alpha, fast);
        Packing.packAScalar(transA, a, aOff, lda, i0, mc, p0, kc, alpha, slow);
        assertArrayEquals(slow, fast, "packA transA=" + transA + " mc=" + mc + " kc=" + kc + " lda=" + lda + " i0=" + i0
                + " p0=" + p0 + " alpha=" + alpha);
    }

    @Test
    void matchesTheScalarTwinOnOddBlocks() {
        Random r = new Random(17);
        int l = VectorConfig.LANES;
        int[] depths = {1, l - 1, l, l + 1, 2 * l + 3, 100, 1024};
        int[] heights = {1, 7, 8, 9, 16, 23, 128};
        for (int kc : depths) {
            for (int mc : heights) {
                for (boolean transA : new boolean[] {false, true}) {
                    int cols = transA ? 3 + mc + 5 : 2 + kc + 7;
                    check(r, transA, mc, kc, cols, r.nextInt(5), transA ? 3 : r.nextInt(3), transA ? r.nextInt(3) : 2,
                            r.nextBoolean() ? 1f : -0.75f);
                }
            }
        }
    }

    @Test
    void unalignedRowsAndOffsets() {
        Random r = new Random(5);
        for (int i = 0; i < 200; i++) {
            int mc = 1 + r.nextInt(40), kc = 1 + r.nextInt(90);
            int i0 = r.nextInt(4), p0 = r.nextInt(6);
            check(r, false, mc, kc, p0 + kc + r.nextInt(9), r.nextInt(13), i0, p0, i % 3 == 0 ? 1f : r.nextFloat() * 4 - 2);
        }
    }
}
