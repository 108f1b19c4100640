package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.function.Supplier;
import org.jqat.core.Threads;
import org.jqat.qat.export.BitPacking;
import org.junit.jupiter.api.Test;

/**
 * The bit-serial tiles ({@link BitSerial}): packing and the tile against their scalar twins, and
 * whole layers (odd channel counts across the 16-channel groups, kernels 1/3/5, stride 1 and 2,
 * padding, batch 1 split into channel groups, planes fed by the previous layer) against the
 * scalar convolution, bit for bit. The tiles are switched on by their property, so this runs on
 * any CPU; only the speed depends on a vector population count.
 */
class BitSerialTest {
    private final Random rnd = new Random(29);

    /** {@code make} with {@link BitSerial#PROPERTY} set to {@code mode} (the other infer tests use it too). */
    static <T> T with(String mode, Supplier<T> make) {
        String before = System.getProperty(BitSerial.PROPERTY);
        System.setProperty(BitSerial.PROPERTY, mode);
        try {
            return make.get();
        } finally {
            if (before == null) {
                System.clearProperty(BitSerial.PROPERTY);
            } else {
                System.setProperty(BitSerial.PROPERTY, before);
            }
        }
    }

    /** Random packed codes of {@code bits} bits (2: [−2, 1]; 1: [0, 1]), all of one code when {@code constant} is set. */
    private WeightCodes weights(int rows, int cols, int bits, Integer constant) {
        int[] u = new int[rows * cols];
        int min = bits == 1 ? 0 : -(1 << (bits - 1));
        for (int i = 0; i < u.length; i++) {
            u[i] = constant != null ? constant - min : rnd.nextInt(1 << bits);
        }
        return new WeightCodes(rows, cols, bits, min, true, BitPacking.pack(u, bits));
    }

    private Act codes(int n, int c, int h, int w, int hi, int zp, Integer constant) {
        byte[] b = new byte[n * c * h * w];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (constant != null ? constant : rnd.nextInt(hi + 1));
        }
        return Act.codes(n, c, h, w, b, true, zp, 0.1);
    }

    private Requant requant(int rows, int lo, int hi, double scale) {
        double[] m = new double[rows];
        double[] b = new double[rows];
        for (int r = 0; r < rows; r++) {
            m[r] = (rnd.nextBoolean() ? 1 : -1) * scale * Math.exp(rnd.nextGaussian());
            b[r] = rnd.nextGaussian() * 5;
        }
        return Requant.of(m, b, lo, hi);
    }

    @Test
    void packingMatchesItsScalarTwin() {
        for (int trial = 0; trial < 30; trial++) {
            int channels = 1 + rnd.nextInt(50);
            int len = 1 + rnd.nextInt(300);
            int slack = rnd.nextInt(40);
            short[] codes = new short[channels * len + rnd.nextInt(9)];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = (short) rnd.nextInt(4);
            }
            short[] a = new short[BitSerial.bitsLength(channels, len, slack)];
            short[] e = new short[a.length];
            Arrays.fill(a, (short) 7);
            int zp = rnd.nextInt(4);
            BitSerial.pack(codes, channels, len, slack, zp, a);
            BitSerial.packScalar(codes, channels, len, slack, zp, e);
            assertArrayEquals(e, a, channels + " channels x " + len);
            // bit c of group g's words is channel 16g + c's code
            int q = rnd.nextInt(len);
            int ch = rnd.nextInt(channels);
            int g = ch / BitSerial.GROUP;
            int c = ch % BitSerial.GROUP;
            int code = (a[2 * (g * len + q)] >> c & 1) | (a[2 * (g * len + q) + 1] >> c & 1) << 1;
            assertEquals(codes[ch * len + q], code);
            if (slack > 0) {
                int s = rnd.nextInt(slack);
                int g0 = (channels + BitSerial.GROUP - 1) / BitSerial.GROUP;
                int slackCode = (a[2 * (g0 * len + s)] >> c & 1) | (a[2 * (g0 * len + s) + 1] >> c & 1) << 1;
                assertEquals(zp, slackCode, "the slack reads as the zero point");
            }
        }
    }

    @Test
    void tileMatchesItsScalarTwinAndTheProducts() {
        int t = BitSerial.tile();
        for (int trial = 0; trial < 20; trial++) {
            int channels = 1 + rnd.nextInt(70);
            int taps = new int[] {1, 9, 25}[rnd.nextInt(3)];
            int k = channels * taps;
            int rows = ConvKernel.ROWS;
            byte[] w = new byte[rows * k];
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) (rnd.nextInt(4) - 2);
            }
            int words = BitSerial.words(channels, taps);
            int len = t + 64;
            short[] codes = new short[channels * len];
            for (int i = 0; i < codes.length; i++) {
                codes[i] = (short) rnd.nextInt(4);
            }
            short[] bits = new short[BitSerial.bitsLength(channels, len, 0)];
            BitSerial.pack(codes, channels, len, 0, 0, bits);
            // each tap reads at a random shift within the plane
            int[] off = new int[k];
            int[] shift = new int[taps];
            for (int tap = 0; tap < taps; tap++) {
                shift[tap] = rnd.nextInt(len - t + 1);
            }
            for (int ci = 0; ci < channels; ci++) {
                for (int tap = 0; tap < taps; tap++) {
                    off[ci * taps + tap] = ci * len + shift[tap];
                }
            }
            int[] bitOff = BitSerial.offsets(off, channels, taps, len, new int[words]);
            int[] packed = BitSerial.weights(w, rows, channels, taps);
            int[] a = new int[rows * t];
            int[] e = new int[a.length];
            BitSerial.tile(packed, 0, words, bits, bitOff, 0, a, new short[BitSerial.partLength()]);
            BitSerial.tileScalar(packed, 0, words, bits, bitOff, 0, e);
            assertArrayEquals(e, a, channels + " channels, " + taps + " taps");
            for (int r = 0; r < rows; r++) {
                int j = rnd.nextInt(t);
                int sum = 0;
                for (int ci = 0; ci < channels; ci++) {
                    for (int tap = 0; tap < taps; tap++) {
                        sum += w[r * k + ci * taps + tap] * codes[off[ci * taps + tap] + j];
                    }
                }
                assertEquals(sum, a[r * t + j], "row " + r + " position " + j);
            }
        }
    }

    @Test
    void layersMatchTheScalarConvolution() {
        int bitLayers = 0;
        for (int trial = 0; trial < 40; trial++) {
            int k = new int[] {1, 3, 3, 5}[rnd.nextInt(4)];
            int stride = 1 + rnd.nextInt(2);
            int pad = rnd.nextInt(k / 2 + 1);
            int inC = new int[] {1, 5, 16, 17, 33, 40}[rnd.nextInt(6)];
            int outC = 1 + rnd.nextInt(11);
            int h = k + rnd.nextInt(12);
            int w = k + rnd.nextInt(30);
            int n = new int[] {1, 2, 3, 5}[rnd.nextInt(4)];
            int wbits = trial % 5 == 0 ? 1 : 2;
            int hi = trial % 3 == 0 ? 1 : 3;
            int zp = rnd.nextInt(hi + 1);
            // the extreme layers: every product −2·3 (the largest sums), or every one 1·3
            Integer wConst = trial == 7 ? Integer.valueOf(-2) : trial == 8 ? Integer.valueOf(1) : null;
            Integer aConst = trial == 7 || trial == 8 ? Integer.valueOf(3) : null;
            WeightCodes wc = weights(outC, inC * k * k, wbits, wConst);
            Act in = codes(n, inC, h, w, hi, zp, aConst);
            int lo = 0;
            IntConv bits = with("on", () -> new IntConv("test", wc, inC, k, stride, pad, lo, hi, true));
            IntConv scalar = new IntConv("test", wc, inC, k, stride, pad, lo, hi, false);
            assertTrue(bits.bits, "2-bit codes take the bit-serial tiles when asked to");
            assertEquals("bit-serial 2x2", bits.arithmetic());
            bitLayers++;
            if (trial % 2 == 0) {
                bits.minPartMacs = 1; // parts and channel groups, as a big layer splits
            }
            int oh = bits.outH(in);
            int ow = bits.outW(in);
            String tag = "n" + n + " " + inC + "x" + h + "x" + w + " -> " + outC + " k" + k + " s" + stride + " p" + pad + " W" + wbits
                    + " A<=" + hi + " zp" + zp;
            Requant toCodes = requant(outC, 0, 3, 0.05);
            byte[] a = new byte[n * outC * oh * ow];
            byte[] e = new byte[a.length];
            bits.forward(in, Epilogue.codes(toCodes, outC, oh, ow, a));
            scalar.forward(in, Epilogue.codes(toCodes, outC, oh, ow, e));
            assertArrayEquals(e, a, tag + " codes");
            Requant toStream = requant(outC, Integer.MIN_VALUE, Integer.MAX_VALUE, 1000);
            int[] ai = new int[a.length];
            int[] ei = new int[a.length];
            bits.forward(in, Epilogue.stream(toStream, outC, oh, ow, null, ai));
            scalar.forward(in, Epilogue.stream(toStream, outC, oh, ow, null, ei));
            assertArrayEquals(ei, ai, tag + " stream");
        }
        assertEquals(40, bitLayers);
    }

    @Test
    void batchOneSplitsChannelGroupsOverOneBitPacking() {
        WeightCodes wc = weights(23, 20 * 9, 2, null);
        Act in = codes(1, 20, 13, 17, 3, 0, null);
        IntConv bits = with("on", () -> new IntConv("test", wc, 20, 3, 1, 1, 0, 3, true));
        bits.minPartMacs = 1;
        IntConv scalar = new IntConv("test", wc, 20, 3, 1, 1, 0, 3, false);
        Requant q = requant(23, 0, 3, 0.05);
        int before = Threads.count();
        try {
            Threads.set(3);
            byte[] a = new byte[23 * 13 * 17];
            byte[] e = new byte[a.length];
            bits.forward(in, Epilogue.codes(q, 23, 13, 17, a));
            scalar.forward(in, Epilogue.codes(q, 23, 13, 17, e));
            assertArrayEquals(e, a);
        } finally {
            Threads.set(before);
        }
    }

    @Test
    void planesFromThePreviousLayerFeedTheBitTiles() {
        for (int trial = 0; trial < 6; trial++) {
            int n = 1 + rnd.nextInt(4);
            int inC = 1 + rnd.nextInt(20);
            int midC = new int[] {3, 16, 21}[trial % 3];
            int outC = 1 + rnd.nextInt(9);
            int h = 2 + rnd.nextInt(14);
            int w = 2 + rnd.nextInt(20);
            int zp = trial % 2;
            IntConv c1 = new IntConv("c1", weights(midC, inC * 9, 2, null), inC, 3, 1, 1, 0, 3, true);
            WeightCodes w2 = weights(outC, midC * 9, 2, null);
            IntConv c2 = with("on", () -> new IntConv("c2", w2, midC, 3, 1, 1, 0, 3, true));
            IntConv twin = new IntConv("twin", w2, midC, 3, 1, 1, 0, 3, false);
            c2.minPartMacs = 1;
            assertTrue(c1.feedsPlanesOf(c2) && c2.bits);
            Act in = codes(n, inC, h, w, 3, zp, null);
            Requant q1 = requant(midC, 0, 3, 0.05);
            Requant q2 = requant(outC, 0, 3, 0.05);
            byte[] mid = new byte[n * midC * h * w];
            c1.forward(in, Epilogue.codes(q1, midC, h, w, mid));
            byte[] expected = new byte[n * outC * h * w];
            twin.forward(Act.codes(n, midC, h, w, mid, true, zp, 0.1), Epilogue.codes(q2, outC, h, w, expected));

            short[] planes = new short[c2.planesLength(n, h, w)];
            Arrays.fill(planes, (short) 12345);
            int cols = c2.planeCols(w);
            c1.forward(in, Epilogue.planes(q1, midC, h, w, c2.planeBlock(n, h, w), c2.planeRows(h), cols, c2.padding * (cols + 1), true, planes));
            c2.fillBorders(planes, n, h, w, (short) zp);
            byte[] got = new byte[expected.length];
            c2.forwardPlanes(Act.codes(n, midC, h, w, null, true, zp, 0.1), planes, Epilogue.codes(q2, outC, h, w, got), null);
            assertArrayEquals(expected, got, "n" + n + " " + inC + "->" + midC + "->" + outC + " " + h + "x" + w);
        }
    }

    @Test
    void onlyTwoBitCodesTakeTheBitTiles() {
        assertTrue(BitSerial.fits(-2, 1, 0, 3));
        assertTrue(BitSerial.fits(0, 1, 0, 1));
        assertFalse(BitSerial.fits(-8, 7, 0, 3), "4-bit weights");
        assertFalse(BitSerial.fits(-2, 1, 0, 15), "4-bit inputs");
        assertFalse(BitSerial.fits(-2, 1, -1, 1), "signed inputs");
        assertFalse(BitSerial.fits(-2, 2, 0, 3), "weights past two's complement 2-bit");
        WeightCodes w4 = weights(4, 9, 2, null);
        assertFalse(with("on", () -> new IntConv("t", w4, 1, 3, 1, 1, 0, 15, true)).bits, "4-bit inputs stay on 16-bit lanes");
        assertFalse(with("on", () -> new IntConv("t", w4, 1, 3, 1, 1, 0, 3, false)).bits, "the scalar twin stays scalar");
        assertFalse(with("off", () -> new IntConv("t", w4, 1, 3, 1, 1, 0, 3, true)).bits, "off");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with("sometimes", () -> new IntConv("t", w4, 1, 3, 1, 1, 0, 3, true)));
        assertTrue(e.getMessage().contains(BitSerial.PROPERTY), e.getMessage());
    }
}
