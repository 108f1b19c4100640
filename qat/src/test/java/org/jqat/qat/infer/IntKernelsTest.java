package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.jqat.qat.export.BitPacking;
import org.junit.jupiter.api.Test;

/**
 * The integer engine's small SIMD kernels (unpack, widen, requantize) against their scalar twins,
 * on random sizes with tails; the conv tile and whole layers are in {@link IntConvTest}.
 */
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
    void widenMatchesScalar() {
        for (int trial = 0; trial < 60; trial++) {
            int n = rnd.nextInt(200);
            int from = rnd.nextInt(5);
            byte[] src = bytes(from + n);
            boolean unsigned = rnd.nextBoolean();
            short[] a = new short[n + 3];
            short[] e = new short[n + 3];
            ConvKernel.widen(src, from, unsigned, a, 3, n);
            ConvKernel.widenScalar(src, from, unsigned, e, 3, n);
            assertArrayEquals(e, a, "n " + n + " unsigned " + unsigned);
        }
    }

    @Test
    void deinterleaveMatchesScalar() {
        for (int trial = 0; trial < 60; trial++) {
            int n = rnd.nextInt(90);
            int from = rnd.nextInt(5);
            byte[] src = bytes(from + n);
            boolean unsigned = rnd.nextBoolean();
            int even = rnd.nextInt(3);
            int odd = even + (n + 1) / 2 + rnd.nextInt(3);
            short[] a = new short[odd + n / 2 + 2];
            short[] e = new short[a.length];
            ConvKernel.deinterleave(src, from, unsigned, a, even, odd, n);
            ConvKernel.deinterleaveScalar(src, from, unsigned, e, even, odd, n);
            assertArrayEquals(e, a, "n " + n + " unsigned " + unsigned);
            for (int x = 0; x < n; x++) {
                assertEquals(unsigned ? src[from + x] & 0xFF : src[from + x], e[x % 2 == 0 ? even + x / 2 : odd + x / 2]);
            }
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
            // straight into 16-bit code planes: the byte codes widened by their signedness, at an offset
            short[] as = new short[acc.length + 5];
            short[] es = new short[acc.length + 5];
            for (int r = 0; r < rows; r++) {
                Requantize.shortsRow(acc, r * n, n, codes, r, as, 3 + r * n);
                Requantize.shortsRowScalar(acc, r * n, n, codes, r, es, 3 + r * n);
            }
            assertArrayEquals(es, as);
            for (int i = 0; i < acc.length; i++) {
                assertEquals(trial % 2 == 0 ? e[i] & 0xFF : e[i], as[3 + i]);
            }
            Requant wide = Requant.of(m, b, Integer.MIN_VALUE, Integer.MAX_VALUE);
            int[] ai = new int[acc.length];
            int[] ei = new int[acc.length];
            Requantize.toInts(acc, rows, n, wide, ai);
            Requantize.toIntsScalar(acc, rows, n, wide, ei);
            assertArrayEquals(ei, ai);
            // the basic block's end: requantize, add the rescaled shortcut, ReLU (saturating)
            int[] x = new int[acc.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = trial % 5 == 0 ? rnd.nextInt() : rnd.nextInt(1 << 24) - (1 << 23);
            }
            Requant id = Requant.of(m, null, Integer.MIN_VALUE, Integer.MAX_VALUE);
            for (int r = 0; r < rows; r++) {
                Requantize.residualRow(acc, r * n, wide, x, r * n, id, r, n, ai, r * n);
                Requantize.residualRowScalar(acc, r * n, wide, x, r * n, id, r, n, ei, r * n);
            }
            assertArrayEquals(ei, ai);
            for (int v : ai) {
                assertTrue(v >= 0);
            }
            // a shortcut kept at its stream's scale: the identity rescale, added as it is (saturating)
            double[] one = new double[rows];
            java.util.Arrays.fill(one, 1.0);
            Requant unit = Requant.of(one, null, Integer.MIN_VALUE, Integer.MAX_VALUE);
            for (int r = 0; r < rows; r++) {
                assertTrue(unit.isIdentity(r));
                assertTrue(!id.isIdentity(r) || m[r] == 1.0);
                assertEquals(x[r * n], unit.apply(r, x[r * n]));
                Requantize.residualRow(acc, r * n, wide, x, r * n, unit, r, n, ai, r * n);
                Requantize.residualRowScalar(acc, r * n, wide, x, r * n, unit, r, n, ei, r * n);
            }
            assertArrayEquals(ei, ai, "identity shortcut");
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
