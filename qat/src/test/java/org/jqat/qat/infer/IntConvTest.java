package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.jqat.core.Threads;
import org.jqat.qat.export.BitPacking;
import org.junit.jupiter.api.Test;

/**
 * The SIMD convolution (phase planes, 16-bit or int32 tiles, fused epilogues) against the scalar
 * twin (im2col, reference GEMM, scalar requantization), bit for bit, on random layers: odd channel
 * counts, tails, kernels 1/3/5, stride 1 and 2, batch 1 and odd batches, every epilogue including
 * the option-A shortcut; plus the 16-bit bound ({@link Accumulation}) and its boundary.
 */
class IntConvTest {
    private final Random rnd = new Random(11);

    private WeightCodes weights(int rows, int cols, int bits) {
        if (bits == 8) {
            byte[] b = new byte[rows * cols];
            rnd.nextBytes(b);
            return new WeightCodes(rows, cols, 8, -128, false, b);
        }
        int[] u = new int[rows * cols];
        for (int i = 0; i < u.length; i++) {
            u[i] = rnd.nextInt(1 << bits);
        }
        return new WeightCodes(rows, cols, bits, bits == 1 ? 0 : -(1 << (bits - 1)), true, BitPacking.pack(u, bits));
    }

    /** Random input codes in [lo, hi] of a batch. */
    private Act codes(int n, int c, int h, int w, int lo, int hi, int zp) {
        byte[] b = new byte[n * c * h * w];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (lo + rnd.nextInt(hi - lo + 1));
        }
        return Act.codes(n, c, h, w, b, lo >= 0, zp, 0.1);
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

    /** Rows row0 .. row0 + ROWS − 1 of row-major {@code w} as the SIMD tiles read them (span-major, block at 0). */
    private static short[] block(short[] w, int row0, int k, int span) {
        short[] b = new short[ConvKernel.ROWS * k];
        ConvKernel.spanMajor(w, row0, k, span, b, 0);
        return b;
    }

    @Test
    void spanMajorPutsEachSpansRowsSideBySide() {
        int k = 7;
        short[] w = new short[6 * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = (short) i;
        }
        short[] b = block(w, 1, k, 3);
        // spans [0,3), [3,6), [6,7) of rows 1..4: row r of span t0 at ROWS·t0 + r·len
        short[] expected = {7, 8, 9, 14, 15, 16, 21, 22, 23, 28, 29, 30, 10, 11, 12, 17, 18, 19, 24, 25, 26, 31, 32, 33, 13, 20, 27, 34};
        assertArrayEquals(expected, b);
        assertArrayEquals(Arrays.copyOfRange(w, k, 5 * k), block(w, 1, k, k), "one span: row-major");
    }

    private static IntConv conv(WeightCodes w, int inC, int k, int stride, int pad, int lo, int hi, boolean simd) {
        return new IntConv("test", w, inC, k, stride, pad, lo, hi, simd);
    }

    @Test
    void randomLayersMatchTheScalarTwin() {
        int[][] ranges = {{0, 15, 0}, {0, 3, 0}, {0, 255, 0}, {-8, 7, 0}, {-128, 127, 0}, {0, 15, 3}, {-2, 1, -1}};
        int shortLayers = 0;
        int floatLayers = 0;
        int pairLayers = 0;
        for (int trial = 0; trial < 60; trial++) {
            int bits = new int[] {8, 4, 2, 1}[trial % 4];
            // 8-bit weights at full range on 8-bit codes: mostly float lanes (16-bit spans where a row's
            // window sums allow 16 taps); everything else 16-bit lanes
            int[] range = bits == 8 ? ranges[trial % 8 == 0 ? 2 : 4] : ranges[rnd.nextInt(ranges.length)];
            int k = new int[] {1, 3, 5}[rnd.nextInt(3)];
            int stride = 1 + rnd.nextInt(2);
            int pad = rnd.nextInt(k / 2 + 1);
            int inC = 1 + rnd.nextInt(9);
            int outC = 1 + rnd.nextInt(11);
            int h = k + rnd.nextInt(14);
            int w = k + rnd.nextInt(40);
            int n = new int[] {1, 2, 3, 5}[rnd.nextInt(4)];
            WeightCodes wc = weights(outC, inC * k * k, bits);
            Act in = codes(n, inC, h, w, range[0], range[1], range[2]);
            IntConv simd = conv(wc, inC, k, stride, pad, range[0], range[1], true);
            IntConv scalar = conv(wc, inC, k, stride, pad, range[0], range[1], false);
            if (trial % 2 == 0) {
                simd.minPartMacs = 1; // split into parts (and channel groups at small batches) as a big layer would
            }
            if (simd.pairs(n * (h + 2 * pad) * (w + 2 * pad) / (stride * stride))) {
                pairLayers++;
            }
            if (simd.accumulation.shortLanes()) {
                shortLayers++;
            } else {
                floatLayers++;
            }
            int oh = simd.outH(in);
            int ow = simd.outW(in);
            String tag = "n" + n + " " + inC + "x" + h + "x" + w + " -> " + outC + " k" + k + " s" + stride + " p" + pad + " W" + bits
                    + " codes " + Arrays.toString(range) + " " + simd.accumulation.describe();
            Requant toCodes = requant(outC, 0, 15, 0.01);
            byte[] a = new byte[n * outC * oh * ow];
            byte[] e = new byte[a.length];
            simd.forward(in, Epilogue.codes(toCodes, outC, oh, ow, a));
            scalar.forward(in, Epilogue.codes(toCodes, outC, oh, ow, e));
            assertArrayEquals(e, a, tag + " codes");
            Requant toStream = requant(outC, Integer.MIN_VALUE, Integer.MAX_VALUE, 1000);
            int[] ai = new int[a.length];
            int[] ei = new int[a.length];
            simd.forward(in, Epilogue.stream(toStream, outC, oh, ow, null, ai));
            scalar.forward(in, Epilogue.stream(toStream, outC, oh, ow, null, ei));
            assertArrayEquals(ei, ai, tag + " stream");
            double[] m = new double[outC];
            double[] corr = new double[outC];
            double[] bias = new double[outC];
            for (int c = 0; c < outC; c++) {
                m[c] = rnd.nextGaussian();
                corr[c] = rnd.nextInt(100);
                bias[c] = rnd.nextGaussian();
            }
            float[] af = new float[a.length];
            float[] ef = new float[a.length];
            simd.forward(in, Epilogue.floats(m, corr, bias, outC, oh, ow, af));
            scalar.forward(in, Epilogue.floats(m, corr, bias, outC, oh, ow, ef));
            assertArrayEquals(ef, af, tag + " float");
        }
        assertTrue(shortLayers > 10 && floatLayers > 10 && pairLayers > 0,
                shortLayers + " 16-bit (" + pairLayers + " of them pairs) and " + floatLayers + " float layers");
    }

    /** Layers large enough for two positions a lane (W2A2-like codes, odd channels, stride 1 and 2, batch 1 split into channel groups). */
    @Test
    void pairedLayersMatchTheScalarTwin() {
        int[][] cases = {{3, 9, 7, 24, 30, 1, 1}, {1, 5, 11, 33, 33, 1, 1}, {4, 6, 13, 40, 52, 2, 1}, {1, 3, 5, 40, 40, 1, 1}};
        for (int[] c : cases) {
            int n = c[0], inC = c[1], outC = c[2], h = c[3], w = c[4], stride = c[5], pad = c[6];
            WeightCodes wc = weights(outC, inC * 9, 2);
            Act in = codes(n, inC, h, w, 0, 3, 0);
            IntConv simd = conv(wc, inC, 3, stride, pad, 0, 3, true);
            simd.minPartMacs = 1;
            IntConv scalar = conv(wc, inC, 3, stride, pad, 0, 3, false);
            int oh = simd.outH(in);
            int ow = simd.outW(in);
            int hs = stride == 1 ? h + pad : (h + 2 * pad + 1) / 2;
            int ws = stride == 1 ? w + pad : (w + 2 * pad + 1) / 2;
            assertTrue(simd.pairs(n * hs * ws), Arrays.toString(c));
            Requant q = requant(outC, 0, 3, 0.05);
            byte[] a = new byte[n * outC * oh * ow];
            byte[] e = new byte[a.length];
            simd.forward(in, Epilogue.codes(q, outC, oh, ow, a));
            scalar.forward(in, Epilogue.codes(q, outC, oh, ow, e));
            assertArrayEquals(e, a, Arrays.toString(c));
        }
    }

    @Test
    void residualEndsMatchTheScalarTwin() {
        for (int trial = 0; trial < 20; trial++) {
            boolean optionA = trial % 2 == 1;
            int n = 1 + rnd.nextInt(4);
            int inC = 1 + rnd.nextInt(6);
            int c = optionA ? inC + 2 * (1 + rnd.nextInt(3)) : inC;
            int h = 2 + rnd.nextInt(12);
            int w = 2 + rnd.nextInt(20);
            int stride = optionA ? 2 : 1;
            int[] stream = new int[n * inC * h * w];
            for (int i = 0; i < stream.length; i++) {
                stream[i] = rnd.nextInt(1 << 22);
            }
            Act x = Act.stream(n, inC, h, w, stream, 1e-6);
            // conv2 of the block: 3×3, stride `stride` on codes of shape [inC][h][w] as its input
            WeightCodes wc = weights(c, inC * 9, 4);
            Act codes = codes(n, inC, h, w, 0, 15, 0);
            IntConv simd = conv(wc, inC, 3, stride, 1, 0, 15, true);
            simd.minPartMacs = 1;
            IntConv scalar = conv(wc, inC, 3, stride, 1, 0, 15, false);
            int oh = simd.outH(codes);
            int ow = simd.outW(codes);
            Requant q = requant(c, Integer.MIN_VALUE, Integer.MAX_VALUE, 3000);
            double[] idm = new double[c];
            Arrays.fill(idm, 0.5 + rnd.nextDouble());
            Requant id = Requant.of(idm, null, Integer.MIN_VALUE, Integer.MAX_VALUE);
            int[] a = new int[n * c * oh * ow];
            int[] e = new int[a.length];
            int[] shortcut = optionA ? Epilogue.optionA(x, stride, c, (c - inC) / 2, oh, ow, new int[n * c * oh * ow]) : stream;
            simd.forward(codes, Epilogue.residual(q, c, oh, ow, shortcut, id, a));
            scalar.forward(codes, Epilogue.residual(q, c, oh, ow, shortcut, id, e));
            assertArrayEquals(e, a, "option " + (optionA ? "A" : "identity") + " n" + n + " " + inC + "->" + c + " " + h + "x" + w);
        }
    }

    /** conv1 writing its codes into conv2's code planes gives conv2 the same input as conv2's own lowering of conv1's byte output. */
    @Test
    void planesEpilogueFeedsTheNextLayerAsItsOwnLoweringWould() {
        int[][] grids = {{0, 15, 0, 4}, {0, 3, 0, 2}, {0, 15, 3, 4}, {-2, 1, -1, 2}};
        for (int trial = 0; trial < 16; trial++) {
            int[] g = grids[trial % grids.length];
            boolean large = trial < 4; // grids of over 8 tiles: W2A2 takes two positions a lane
            int n = large ? 4 : 1 + rnd.nextInt(5);
            int inC = 1 + rnd.nextInt(6);
            int midC = 1 + rnd.nextInt(9);
            int outC = 1 + rnd.nextInt(7);
            int h = large ? 16 : 1 + rnd.nextInt(12);
            int w = large ? 20 : 1 + rnd.nextInt(20);
            boolean unsigned = g[0] >= 0;
            IntConv c1 = conv(weights(midC, inC * 9, g[3]), inC, 3, 1, 1, g[0], g[1], true);
            IntConv c2 = conv(weights(outC, midC * 9, g[3]), midC, 3, 1, 1, g[0], g[1], true);
            c1.minPartMacs = 1;
            c2.minPartMacs = 1;
            assertTrue(c1.feedsPlanesOf(c2));
            Act in = codes(n, inC, h, w, g[0], g[1], g[2]);
            Requant q1 = requant(midC, g[0], g[1], 0.05);
            Requant q2 = requant(outC, g[0], g[1], 0.05);
            byte[] mid = new byte[n * midC * h * w];
            c1.forward(in, Epilogue.codes(q1, midC, h, w, mid));
            byte[] expected = new byte[n * outC * h * w];
            c2.forward(Act.codes(n, midC, h, w, mid, unsigned, g[2], 0.1), Epilogue.codes(q2, outC, h, w, expected));

            short[] planes = new short[c2.planesLength(n, h, w)];
            Arrays.fill(planes, (short) 12345); // stale values: every one read must be written
            int cols = c2.planeCols(w);
            c1.forward(in, Epilogue.planes(q1, midC, h, w, c2.planeBlock(n, h, w), c2.planeRows(h), cols, c2.padding * (cols + 1), unsigned,
                    planes));
            c2.fillBorders(planes, n, h, w, (short) g[2]);
            byte[] got = new byte[expected.length];
            c2.forwardPlanes(Act.codes(n, midC, h, w, null, unsigned, g[2], 0.1), planes, Epilogue.codes(q2, outC, h, w, got), null);
            assertArrayEquals(expected, got, Arrays.toString(g) + " n" + n + " " + inC + "->" + midC + "->" + outC + " " + h + "x" + w
                    + (c2.pairs(n * c2.planeRows(h) * cols) ? " pairs" : ""));
        }
        assertFalse(conv(weights(4, 36, 4), 4, 3, 2, 1, 0, 15, true).feedsPlanesOf(conv(weights(4, 36, 4), 4, 3, 1, 1, 0, 15, true)),
                "a stride-2 layer's grid is not the next layer's planes");
    }

    @Test
    void gridStreamHoldsTheDenseValuesAtTheConvGridPlaces() {
        int n = 3;
        int c = 5;
        int h = 7;
        int w = 9;
        int[] dense = new int[n * c * h * w];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = rnd.nextInt();
        }
        Act d = Act.stream(n, c, h, w, dense, 0.5);
        int plane = Act.gridPlane(n, h, w);
        assertEquals(n * (h + 1) * (w + 1), plane);
        Act g = d.gridded(new int[c * plane]);
        assertTrue(g.grid());
        // channel 2, image 1, row 4, column 6
        assertEquals(dense[((1 * c + 2) * h + 4) * w + 6], g.stream()[2 * plane + (1 * (h + 1) + 4) * (w + 1) + 6]);
        Act back = g.dense(int[]::new);
        assertFalse(back.grid());
        assertArrayEquals(dense, back.stream());
        assertTrue(d == d.dense(int[]::new), "a dense stream is its own dense form");
    }

    @Test
    void optionAShortcutSubsamplesAndPadsChannels() {
        for (int trial = 0; trial < 10; trial++) {
            int n = 1 + rnd.nextInt(3);
            int inC = 1 + rnd.nextInt(5);
            int before = rnd.nextInt(3);
            int c = inC + before + rnd.nextInt(3);
            int h = 1 + rnd.nextInt(11);
            int w = 1 + rnd.nextInt(11);
            int stride = 1 + rnd.nextInt(3);
            int oh = (h + stride - 1) / stride;
            int ow = (w + stride - 1) / stride;
            int[] stream = new int[n * inC * h * w];
            for (int i = 0; i < stream.length; i++) {
                stream[i] = 1 + rnd.nextInt(1 << 20);
            }
            int[] out = new int[n * c * oh * ow];
            Arrays.fill(out, -1);
            Epilogue.optionA(Act.stream(n, inC, h, w, stream, 1), stride, c, before, oh, ow, out);
            for (int img = 0; img < n; img++) {
                for (int co = 0; co < c; co++) {
                    for (int y = 0; y < oh; y++) {
                        for (int x = 0; x < ow; x++) {
                            int ch = co - before;
                            int expected = ch < 0 || ch >= inC ? 0 : stream[((img * inC + ch) * h + y * stride) * w + x * stride];
                            assertEquals(expected, out[((img * c + co) * oh + y) * ow + x], "n" + n + " " + inC + "->" + c + " stride " + stride);
                        }
                    }
                }
            }
        }
    }

    @Test
    void batchOneSplitsChannelGroupsOverSharedPlanes() {
        WeightCodes wc = weights(23, 5 * 9, 4);
        Act in = codes(1, 5, 13, 17, 0, 15, 0);
        IntConv simd = conv(wc, 5, 3, 1, 1, 0, 15, true);
        simd.minPartMacs = 1;
        IntConv scalar = conv(wc, 5, 3, 1, 1, 0, 15, false);
        Requant q = requant(23, 0, 15, 0.01);
        int before = Threads.count();
        try {
            Threads.set(3);
            byte[] a = new byte[23 * 13 * 17];
            byte[] e = new byte[a.length];
            simd.forward(in, Epilogue.codes(q, 23, 13, 17, a));
            scalar.forward(in, Epilogue.codes(q, 23, 13, 17, e));
            assertArrayEquals(e, a);
        } finally {
            Threads.set(before);
        }
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        WeightCodes wc = weights(13, 7 * 9, 4);
        Act in = codes(3, 7, 11, 19, 0, 15, 0);
        IntConv conv = conv(wc, 7, 3, 1, 1, 0, 15, true);
        conv.minPartMacs = 1;
        Requant q = requant(13, 0, 15, 0.01);
        int before = Threads.count();
        try {
            byte[][] out = new byte[3][3 * 13 * 11 * 19];
            for (int t = 1; t <= 3; t++) {
                Threads.set(t);
                conv.forward(in, Epilogue.codes(q, 13, 11, 19, out[t - 1]));
            }
            assertArrayEquals(out[0], out[1]);
            assertArrayEquals(out[0], out[2]);
        } finally {
            Threads.set(before);
        }
    }

    @Test
    void boundPicksShortLanesOnlyWhereExact() {
        Accumulation w4a4 = Accumulation.of(-8, 7, 0, 15);
        assertEquals(120, w4a4.maxProduct());
        assertEquals(273, w4a4.chunk());
        assertEquals(5461, Accumulation.of(-2, 1, 0, 3).chunk());
        // 8-bit codes: one product fits 16 bits, a sum of two may not: float lanes, in spans of
        // ⌊2^24 / P⌋ taps when nothing is known of the rows, whole rows when their sums allow
        Accumulation w8a8 = Accumulation.of(-128, 127, 0, 255);
        assertFalse(w8a8.shortLanes());
        assertTrue(w8a8.floatLanes());
        assertEquals((1 << 24) / (128 * 255), w8a8.floatSpan());
        assertEquals((1 << 24) / (128 * 128), Accumulation.of(-128, 127, -128, 127).floatSpan());
        assertEquals(Integer.MAX_VALUE, Accumulation.of(-128, 127, 0, 255, (1 << 24) / 255).floatSpan());
        assertEquals(514, Accumulation.of(-128, 127, 0, 255, (1 << 24) / 255 + 1).floatSpan());
        // the threshold: 45·45 = 2025 leaves 16-bit chunks of 16 taps, 46·45 = 2070 only 15
        assertEquals(Accumulation.SHORT_OVER_FLOAT, Accumulation.of(-45, 45, 0, 45).chunk());
        assertFalse(Accumulation.of(-46, 46, 0, 45).shortLanes());
        assertTrue(Accumulation.of(-46, 46, 0, 45).floatLanes());
        assertThrows(IllegalArgumentException.class, () -> Accumulation.of(-5000, 5000, 0, 5000));
        // a layer's own weights decide: 4-bit weights take 16-bit lanes, 8-bit weights at full range float lanes
        int[] u = new int[4 * 9];
        Arrays.fill(u, 0);
        WeightCodes w4 = new WeightCodes(4, 9, 4, -8, true, BitPacking.pack(u, 4)); // every code −8
        assertTrue(conv(w4, 1, 3, 1, 1, 0, 15, true).accumulation.shortLanes());
        byte[] b = new byte[4 * 9];
        b[5] = -128;
        Accumulation full = conv(new WeightCodes(4, 9, 8, -128, false, b), 1, 3, 1, 1, 0, 255, true).accumulation;
        assertTrue(full.floatLanes());
        assertEquals(Integer.MAX_VALUE, full.floatSpan(), "a row sum of 128 bounds every partial sum by 128·255");
        b[5] = 8; // small 8-bit weights: 8·255 = 2040, chunks of 16
        assertTrue(conv(new WeightCodes(4, 9, 8, -128, false, b), 1, 3, 1, 1, 0, 255, true).accumulation.shortLanes());
    }

    /** Every product at the bound and of one sign: exact with the proven chunk, wrong one tap past it. */
    @Test
    void shortTileIsExactAtTheBoundAndNotBeyond() {
        int tile = ConvKernel.tile();
        int rows = ConvKernel.ROWS;
        int k = 600;
        Accumulation acc = Accumulation.of(-8, 7, 0, 15);
        short[] w = filled(rows * k, -8);
        short[] src = filled(k + tile + 8, 15);
        int[] off = cyclic(k, 8);
        int[] expected = new int[rows * tile];
        int[] got = new int[rows * tile];
        ConvKernel.tileScalar(w, 0, k, src, off, 0, tile, expected);
        assertEquals(-8 * 15 * k, expected[0]);
        ConvKernel.tileShort(block(w, 0, k, acc.chunk()), 0, k, src, off, 0, acc.chunk(), got);
        assertArrayEquals(expected, got, "chunk " + acc.chunk());
        ConvKernel.tileShort(block(w, 0, k, acc.chunk() + 1), 0, k, src, off, 0, acc.chunk() + 1, got);
        assertNotEquals(expected[0], got[0], "a chunk past the bound overflows 16 bits");
    }

    /** Products near the 8-bit bound, all of one sign: float lanes exact in the proven spans, wrong in spans twice as long. */
    @Test
    void floatTileIsExactAtTheBoundAndNotBeyond() {
        int tile = ConvKernel.tile();
        int rows = ConvKernel.ROWS;
        int k = 1100;
        Accumulation acc = Accumulation.of(-128, 127, 0, 255);
        int span = acc.floatSpan();
        assertEquals(514, span);
        // odd products (−127·255): past 2^24 a float sum cannot hold an odd integer
        short[] w = filled(rows * k, -127);
        short[] src = filled(k + tile + 8, 255);
        int[] off = cyclic(k, 8);
        int[] expected = new int[rows * tile];
        int[] got = new int[rows * tile];
        ConvKernel.tileScalar(w, 0, k, src, off, 0, tile, expected);
        ConvKernel.tileFloat(floats(block(w, 0, k, span)), 0, k, src, off, 0, span, tile, got);
        assertArrayEquals(expected, got, "span " + span);
        ConvKernel.tileFloat(floats(block(w, 0, k, 2 * span)), 0, k, src, off, 0, 2 * span, tile, got);
        assertNotEquals(expected[0], got[0], "a span past the bound rounds in float");
    }

    private static short[] filled(int n, int value) {
        short[] a = new short[n];
        Arrays.fill(a, (short) value);
        return a;
    }

    /** Tap t reads at offset t mod m. */
    private static int[] cyclic(int k, int m) {
        int[] off = new int[k];
        for (int t = 0; t < k; t++) {
            off[t] = t % m;
        }
        return off;
    }

    private static float[] floats(short[] w) {
        float[] f = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            f[i] = w[i];
        }
        return f;
    }

    /**
     * The row-sum bound at its edge: a row whose positive weights can reach 32,760 and negative
     * ones −32,760 takes the whole row as one 16-bit span (the product bound allows 273 taps) and
     * stays exact on the inputs that reach either end; one more positive tap and the layer gets
     * shorter spans, and the whole row in one span would overflow.
     */
    @Test
    void rowSumsProveLongerSpansExactlyAtTheirEdge() {
        int tile = ConvKernel.tile();
        int rows = ConvKernel.ROWS;
        int k = 600;
        for (int positives : new int[] {312, 313}) {
            byte[] codes = new byte[rows * k];
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < k; t++) {
                    codes[r * k + t] = (byte) (t < positives ? 7 : t < 312 + 273 ? -8 : 0);
                }
            }
            Accumulation acc = Accumulation.of(new WeightCodes(rows, k, 8, -128, false, codes), 0, 15);
            assertEquals(273, Accumulation.of(-8, 8, 0, 15).anyWindow());
            if (positives == 312) {
                assertEquals(k, acc.chunk(), "whole rows");
            } else {
                assertTrue(acc.chunk() < k && acc.chunk() >= 273, "span " + acc.chunk());
            }
            short[] w = new short[rows * k];
            for (int i = 0; i < w.length; i++) {
                w[i] = codes[i];
            }
            // input 15 where the weight is positive, 0 elsewhere: the largest sum the row allows
            short[] src = new short[k + tile];
            for (int t = 0; t < k; t++) {
                src[t] = (short) (t < positives ? 15 : 0);
            }
            int[] off = new int[k];
            for (int t = 0; t < k; t++) {
                off[t] = t;
            }
            int[] expected = new int[rows * tile];
            int[] got = new int[rows * tile];
            ConvKernel.tileScalar(w, 0, k, src, off, 0, 1, expected);
            assertEquals(105 * positives, expected[0]);
            ConvKernel.tileShort(block(w, 0, k, acc.chunk()), 0, k, src, off, 0, acc.chunk(), got);
            assertEquals(expected[0], got[0], positives + " positive taps, span " + acc.chunk());
            if (positives == 313) {
                ConvKernel.tileShort(block(w, 0, k, k), 0, k, src, off, 0, k, got);
                assertNotEquals(expected[0], got[0], "one span of the whole row overflows 16 bits");
            }
        }
    }

    /** The paired tile (two positions a lane) against the scalar tile over its 2T positions, at its chunk bound and one past it. */
    @Test
    void pairedTileIsExactAtTheBoundAndNotBeyond() {
        int tile = ConvKernel.tile();
        int rows = ConvKernel.ROWS;
        int k = 300;
        Accumulation acc = Accumulation.of(-2, 1, 0, 3);
        assertEquals(21, acc.pairChunk());
        short[] w = filled(rows * k, -2);
        short[] src = filled(k + 3 * tile + 8, 3);
        int[] off = cyclic(k, 8);
        int[] expected = new int[rows * 2 * tile];
        ConvKernel.tileScalar(w, 0, k, src, off, 0, 2 * tile, expected);
        assertEquals(-6 * k, expected[0]);
        short[] packed = src.clone();
        ConvKernel.pair(packed, packed.length - tile);
        int[] got = new int[rows * 2 * tile];
        ConvKernel.tilePairs(block(w, 0, k, acc.pairChunk()), 0, k, packed, off, 0, acc.pairChunk(), acc.anyWindow(), got, new short[3 * rows * tile]);
        assertArrayEquals(expected, got, "pair chunk " + acc.pairChunk());
        ConvKernel.tilePairs(block(w, 0, k, acc.pairChunk() + 1), 0, k, packed, off, 0, acc.pairChunk() + 1, acc.anyWindow(), got,
                new short[3 * rows * tile]);
        assertNotEquals(expected[0], got[0], "a pair chunk past the bound spills into the other position");
    }

    @Test
    void pairedTilesMatchTheScalarTileOnRandomCodes() {
        int tile = ConvKernel.tile();
        int rows = ConvKernel.ROWS;
        int[][] ranges = {{-2, 1, 0, 3}, {0, 1, 0, 15}, {-1, 1, -2, 1}, {-2, 1, -1, 2}};
        for (int trial = 0; trial < 30; trial++) {
            int[] g = ranges[trial % ranges.length];
            Accumulation acc = Accumulation.of(g[0], g[1], g[2], g[3]);
            int k = 1 + rnd.nextInt(700);
            int len = 2000;
            short[] src = new short[len + 3 * tile];
            for (int i = 0; i < src.length; i++) {
                src[i] = (short) (g[2] + rnd.nextInt(g[3] - g[2] + 1));
            }
            short[] w = new short[(rows + 4) * k];
            for (int i = 0; i < w.length; i++) {
                w[i] = (short) (g[0] + rnd.nextInt(g[1] - g[0] + 1));
            }
            int[] off = new int[k];
            for (int t = 0; t < k; t++) {
                off[t] = rnd.nextInt(len - 2 * tile);
            }
            int row0 = rnd.nextInt(5);
            int o0 = rnd.nextInt(tile);
            int[] e = new int[rows * 2 * tile];
            int[] a = new int[rows * 2 * tile];
            ConvKernel.tileScalar(w, row0, k, src, off, o0, 2 * tile, e);
            short[] packed = src.clone();
            short[] twin = src.clone();
            ConvKernel.pair(packed, packed.length - tile);
            ConvKernel.pairScalar(twin, twin.length - tile);
            assertArrayEquals(twin, packed, "pair");
            short[] b = block(w, row0, k, acc.pairChunk());
            ConvKernel.tilePairs(b, 0, k, packed, off, o0, acc.pairChunk(), acc.anyWindow(), a, new short[3 * rows * tile]);
            assertArrayEquals(e, a, "pairs " + Arrays.toString(g) + ", k " + k);
            // widening every few pair chunks (a smaller 16-bit chunk is as exact) takes the multi-group path
            ConvKernel.tilePairs(b, 0, k, packed, off, o0, acc.pairChunk(), 2 * acc.pairChunk() + 1, a, new short[3 * rows * tile]);
            assertArrayEquals(e, a, "pairs in groups " + Arrays.toString(g) + ", k " + k);
        }
    }

    @Test
    void tilesMatchTheScalarTileOnRandomOffsets() {
        int tile = ConvKernel.tile();
        int rows = ConvKernel.ROWS;
        for (int trial = 0; trial < 30; trial++) {
            int k = 1 + rnd.nextInt(700);
            int len = 2000;
            short[] src = new short[len + tile];
            for (int i = 0; i < src.length; i++) {
                src[i] = (short) rnd.nextInt(16);
            }
            short[] w = new short[(rows + 4) * k];
            for (int i = 0; i < w.length; i++) {
                w[i] = (short) (rnd.nextInt(16) - 8);
            }
            int[] off = new int[k];
            for (int t = 0; t < k; t++) {
                off[t] = rnd.nextInt(len - tile);
            }
            int row0 = rnd.nextInt(5);
            int o0 = rnd.nextInt(tile);
            int[] e = new int[rows * tile];
            int[] a = new int[rows * tile];
            ConvKernel.tileScalar(w, row0, k, src, off, o0, tile, e);
            int chunk = Accumulation.of(-8, 7, 0, 15).chunk();
            ConvKernel.tileShort(block(w, row0, k, chunk), 0, k, src, off, o0, chunk, a);
            assertArrayEquals(e, a, "16-bit, k " + k);
            // a short chunk: several spans, each with its own rows' stride
            ConvKernel.tileShort(block(w, row0, k, 8), 0, k, src, off, o0, 8, a);
            assertArrayEquals(e, a, "16-bit in chunks of 8, k " + k);
            ConvKernel.tileFloat(floats(block(w, row0, k, k)), 0, k, src, off, o0, k, tile, a);
            assertArrayEquals(e, a, "float, k " + k);
            // spans shorter than k: each span converted and added
            int span = 1 + rnd.nextInt(k);
            ConvKernel.tileFloat(floats(block(w, row0, k, span)), 0, k, src, off, o0, span, tile, a);
            assertArrayEquals(e, a, "float in spans of " + span + ", k " + k);
            // fewer positions wanted: the passes that hold them are computed, the others left alone
            int count = 1 + rnd.nextInt(tile);
            int pass = ConvKernel.floatPass();
            int[] partial = new int[rows * tile];
            Arrays.fill(partial, 12345);
            ConvKernel.tileFloat(floats(block(w, row0, k, span)), 0, k, src, off, o0, span, count, partial);
            int computed = Math.min(tile, (count + pass - 1) / pass * pass);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < tile; j++) {
                    assertEquals(j < computed ? e[r * tile + j] : 12345, partial[r * tile + j], "count " + count + ", row " + r + ", position " + j);
                }
            }
        }
    }
}
