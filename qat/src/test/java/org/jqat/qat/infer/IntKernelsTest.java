package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.jqat.qat.export.BitPacking;
import org.junit.jupiter.api.Test;

/** Every SIMD kernel of the integer engine against its scalar twin, on random shapes with odd sizes and tails. */
class IntKernelsTest {
    private final Random rnd = new Random(7);

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    @Test
    void unpackMatchesScalarAndBitPacking() {
        for (int bits : new int[] {1, 2, 4}) {
            for (int trial = 0; trial < 40; trial++) {
                int n = 1 + rnd.nextInt(300);
                int codeMin = bits == 1 ? 0 : -(1 << (bits - 1));
                int[] u = new int[n];
                for (int i = 0; i < n; i++) {
                    u[i] = rnd.nextInt(1 << bits);
                }
                byte[] packed = BitPacking.pack(u, bits);
                int from = rnd.nextInt(n);
                int len = rnd.nextInt(n - from + 1);
                byte[] a = new byte[len];
                byte[] b = new byte[len];
                Unpack.unpack(packed, bits, codeMin, from, len, a, 0);
                Unpack.unpackScalar(packed, bits, codeMin, from, len, b, 0);
                assertArrayEquals(b, a, "bits " + bits + " from " + from + " len " + len);
                for (int i = 0; i < len; i++) {
                    assertEquals(u[from + i] + codeMin, a[i]);
                }
            }
        }
    }

    @Test
    void gemmMatchesScalar() {
        for (int trial = 0; trial < 30; trial++) {
            int m = 1 + rnd.nextInt(13);
            int k = 1 + rnd.nextInt(70);
            int n = 1 + rnd.nextInt(90);
            boolean unsigned = rnd.nextBoolean();
            int bits = new int[] {8, 4, 2}[trial % 3];
            WeightCodes w;
            if (bits == 8) {
                w = new WeightCodes(m, k, 8, -128, false, bytes(m * k));
            } else {
                int[] u = new int[m * k];
                for (int i = 0; i < u.length; i++) {
                    u[i] = rnd.nextInt(1 << bits);
                }
                w = new WeightCodes(m, k, bits, -(1 << (bits - 1)), true, BitPacking.pack(u, bits));
            }
            byte[] b = bytes(k * n);
            int[] c1 = new int[m * n];
            int[] c2 = new int[m * n];
            IntGemm.gemm(w, b, unsigned, n, c1);
            IntGemm.gemmScalar(w, b, unsigned, n, c2);
            assertArrayEquals(c2, c1, m + "x" + k + "x" + n + " bits " + bits + " unsigned " + unsigned);
        }
    }

    @Test
    void im2colMatchesScalar() {
        for (int trial = 0; trial < 40; trial++) {
            int c = 1 + rnd.nextInt(4);
            int k = 1 + 2 * rnd.nextInt(3);
            int h = k + rnd.nextInt(20);
            int w = k + rnd.nextInt(45);
            int stride = 1 + rnd.nextInt(2);
            int pad = rnd.nextInt(k / 2 + 1);
            byte padCode = (byte) rnd.nextInt(5);
            byte[] in = bytes(c * h * w);
            int p = Im2col.outSize(h, k, stride, pad) * Im2col.outSize(w, k, stride, pad);
            byte[] a = new byte[c * k * k * p];
            byte[] b = new byte[c * k * k * p];
            Im2col.im2col(in, c, h, w, k, stride, pad, padCode, a);
            Im2col.im2colScalar(in, c, h, w, k, stride, pad, padCode, b);
            assertArrayEquals(b, a, c + "x" + h + "x" + w + " k" + k + " s" + stride + " p" + pad);
        }
    }

    @Test
    void requantizeMatchesScalar() {
        for (int trial = 0; trial < 40; trial++) {
            int rows = 1 + rnd.nextInt(6);
            int n = 1 + rnd.nextInt(70);
            double[] m = new double[rows];
            double[] b = new double[rows];
            for (int r = 0; r < rows; r++) {
                m[r] = (rnd.nextBoolean() ? 1 : -1) * Math.exp(rnd.nextGaussian() * 4);
                b[r] = rnd.nextGaussian() * 100;
            }
            int[] acc = new int[rows * n];
            for (int i = 0; i < acc.length; i++) {
                acc[i] = rnd.nextInt(1 << 20) - (1 << 19);
            }
            Requant codes = Requant.of(m, b, trial % 2 == 0 ? 0 : -8, trial % 2 == 0 ? 255 : 7);
            byte[] a = new byte[acc.length];
            byte[] e = new byte[acc.length];
            Requantize.toCodes(acc, rows, n, codes, a);
            Requantize.toCodesScalar(acc, rows, n, codes, e);
            assertArrayEquals(e, a);
            Requant wide = Requant.of(m, b, Integer.MIN_VALUE, Integer.MAX_VALUE);
            int[] ai = new int[acc.length];
            int[] ei = new int[acc.length];
            Requantize.toInts(acc, rows, n, wide, ai);
            Requantize.toIntsScalar(acc, rows, n, wide, ei);
            assertArrayEquals(ei, ai);
        }
    }

    @Test
    void fixedPointIsAccurateAndRoundsHalfUp() {
        for (int trial = 0; trial < 1000; trial++) {
            double m = Math.exp(rnd.nextGaussian() * 6) * (rnd.nextBoolean() ? 1 : -1);
            double b = rnd.nextGaussian() * 50;
            FixedPoint fp = FixedPoint.of(m, b);
            assertTrue(Math.abs(fp.multiplier() - m) <= Math.abs(m) * 1e-8, m + " -> " + fp);
            int acc = rnd.nextInt(1 << 16) - (1 << 15);
            double exact = acc * m + b;
            assertTrue(Math.abs(fp.apply(acc) - exact) <= 0.5 + 1e-6 * (1 + Math.abs(exact)), acc + "*" + m + "+" + b);
        }
        assertEquals(3, FixedPoint.of(0.5, 0).apply(5)); // 2.5 rounds up
        assertEquals(-2, FixedPoint.of(0.5, 0).apply(-5)); // -2.5 rounds up (toward +inf)
        assertEquals(7, FixedPoint.of(1, 0).apply(7));
    }
}
