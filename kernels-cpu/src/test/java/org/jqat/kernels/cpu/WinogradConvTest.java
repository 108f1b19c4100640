package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

/**
 * Winograd F(2×2, 3×3) against the reference backend's direct convolution: forward with and
 * without bias, the fused epilogue (residual, ReLU), the quantized-input forward and the data
 * gradient, on odd and even maps (tiles cut by the edge), channel counts off the register tile,
 * rows wider than a vector, batch 1 and chunks of several images.
 */
class WinogradConvTest {

    private static Conv2dShape shape(int n, int c, int h, int w, int k) {
        return new Conv2dShape(n, c, h, w, k, 3, 3, 1, 1, 1, 1, 1, 1, 1);
    }

    /** F(2,3) rounds differently from the direct sum: the tolerance of a sum of 9·C terms, with room for the transforms. */
    private static double tol(Conv2dShape s, int channels) {
        return sumTol(channels * 9) * 2;
    }

    private static void check(Random r, Conv2dShape s) {
        assertTrue(WinogradConv.fits(s), s.toString());
        int xs = s.n() * s.cIn() * s.h() * s.w(), ys = s.n() * s.cOut() * s.h() * s.w();
        float[] x = randn(r, xs), w = randn(r, s.weightSize()), b = randn(r, s.cOut());
        float[] gy = randn(r, ys), res = randn(r, ys);
        String what = s.toString();

        Storage ye = new HeapStorage(ys);
        REF.conv2d(s, storage(x), storage(w), storage(b), ye);
        float[] y = nans(ys);
        WinogradConv.forward(s, x, w, b, y, null, null, false);
        assertClose(data(ye), y, tol(s, s.cIn()), "forward " + what);

        float[] fused = nans(ys);
        WinogradConv.forward(s, x, w, b, fused, null, res, true);
        float[] expected = data(ye).clone();
        for (int i = 0; i < ys; i++) {
            expected[i] = Math.max(0f, expected[i] + res[i]);
        }
        assertClose(expected, fused, tol(s, s.cIn()), "fused epilogue " + what);

        Storage ge = new HeapStorage(xs);
        REF.conv2dBackwardData(s, storage(gy), storage(w), ge);
        float[] gx = nans(xs);
        WinogradConv.backwardData(s, gy, w, gx);
        assertClose(data(ge), gx, tol(s, s.cOut()), "data gradient " + what);
    }

    private static float[] nans(int n) {
        float[] a = new float[n];
        Arrays.fill(a, Float.NaN); // every output must be written
        return a;
    }

    @Test
    void resnetGeometries() {
        Random r = new Random(31);
        check(r, shape(3, 16, 32, 32, 16));
        check(r, shape(4, 32, 16, 16, 32));
        check(r, shape(9, 64, 8, 8, 64));   // several images per chunk
        check(r, shape(1, 64, 8, 8, 64));   // batch 1
        check(r, shape(2, 64, 56, 56, 64)); // rows of 28 tiles: a full and a partial vector
        check(r, shape(2, 24, 7, 7, 40));   // odd map: the last tile row and column cut by the edge
    }

    @Test
    void randomGeometries() {
        Random r = new Random(32);
        for (int i = 0; i < 40; i++) {
            int n = 1 + r.nextInt(5), c = 1 + r.nextInt(i < 30 ? 12 : 70), k = 1 + r.nextInt(i < 30 ? 19 : 70);
            int h = 2 + r.nextInt(i < 30 ? 14 : 40), w = 2 + r.nextInt(i < 30 ? 14 : 70);
            check(r, shape(n, c, h, w, k));
        }
    }

    /** Quantizing while building the planes gives what the convolution of the quantized tensor gives, bit for bit. */
    @Test
    void quantizedInputEqualsConvolutionOfQuantizedTensor() {
        Random r = new Random(33);
        for (Conv2dShape s : new Conv2dShape[] {shape(3, 16, 32, 32, 16), shape(2, 5, 9, 13, 7), shape(6, 64, 8, 8, 64)}) {
            int xs = s.n() * s.cIn() * s.h() * s.w(), ys = s.n() * s.cOut() * s.h() * s.w();
            float[] x = randn(r, xs), w = randn(r, s.weightSize());
            DirectConv.InputQuant q = new DirectConv.InputQuant(0.37f, 0.1f, -8f, 7f);
            float[] xq = new float[xs];
            for (int i = 0; i < xs; i++) {
                xq[i] = FakeQuantKernels.quantize(x[i], q.step(), q.beta(), q.qmin(), q.qmax());
            }
            float[] fused = nans(ys), composed = nans(ys);
            WinogradConv.forward(s, x, w, null, fused, q, null, false);
            WinogradConv.forward(s, xq, w, null, composed, null, null, false);
            assertBitExact(composed, fused, "quantized input " + s);
        }
    }

    @Test
    void fitsOnlyStrideOnePaddingOneThreeByThree() {
        assertTrue(WinogradConv.fits(shape(128, 16, 32, 32, 16)));
        assertFalse(WinogradConv.fits(new Conv2dShape(2, 16, 32, 32, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1)));
        assertFalse(WinogradConv.fits(new Conv2dShape(2, 16, 32, 32, 32, 3, 3, 1, 1, 0, 0, 1, 1, 1)));
        assertFalse(WinogradConv.fits(new Conv2dShape(2, 16, 32, 32, 32, 1, 1, 1, 1, 0, 0, 1, 1, 1)));
        assertFalse(WinogradConv.fits(new Conv2dShape(2, 16, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 4)));
        assertFalse(WinogradConv.fits(shape(2, 3, 1, 9, 4)));
    }

    /** By default only the layers where it measured faster: 64 to 256 channels, maps 14 wide or more but for data gradients. */
    @Test
    void paysFromSixtyFourToTwoHundredFiftySixChannels() {
        assertTrue(WinogradConv.pays(shape(8, 64, 56, 56, 64), false));
        assertTrue(WinogradConv.pays(shape(8, 256, 14, 14, 256), false));
        assertFalse(WinogradConv.pays(shape(128, 64, 8, 8, 64), false));
        assertTrue(WinogradConv.pays(shape(128, 64, 8, 8, 64), true));
        assertFalse(WinogradConv.pays(shape(128, 16, 32, 32, 16), true));
        assertFalse(WinogradConv.pays(shape(128, 32, 16, 16, 32), true));
        assertFalse(WinogradConv.pays(shape(8, 512, 7, 7, 512), true));
    }
}
