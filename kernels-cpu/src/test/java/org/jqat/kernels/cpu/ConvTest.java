package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;

import java.util.Random;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConvTest {

    private static void check(Random r, Conv2dShape s, boolean bias) {
        int xs = s.n() * s.cIn() * s.h() * s.w(), ys = s.n() * s.cOut() * s.outH() * s.outW();
        float[] x = randn(r, xs), w = randn(r, s.weightSize()), b = randn(r, s.cOut()), gy = randn(r, ys);
        Storage bs = bias ? storage(b) : null;
        int red = s.cInPerGroup() * s.kh() * s.kw();
        Storage ye = new HeapStorage(ys), ya = new HeapStorage(ys);
        REF.conv2d(s, storage(x), storage(w), bs, ye);
        CPU.conv2d(s, storage(x), storage(w), bs, ya);
        assertClose(data(ye), data(ya), sumTol(red) * 4, "conv2d fwd " + s);

        Storage ge = new HeapStorage(xs), ga = new HeapStorage(xs);
        java.util.Arrays.fill(data(ga), Float.NaN); // output must be overwritten
        REF.conv2dBackwardData(s, storage(gy), storage(w), ge);
        CPU.conv2dBackwardData(s, storage(gy), storage(w), ga);
        assertClose(data(ge), data(ga), sumTol(s.cOut() * s.kh() * s.kw()) * 4, "conv2d bwd data " + s);

        Storage we = new HeapStorage(s.weightSize()), wa = new HeapStorage(s.weightSize());
        java.util.Arrays.fill(data(wa), Float.NaN);
        REF.conv2dBackwardWeight(s, storage(x), storage(gy), we);
        CPU.conv2dBackwardWeight(s, storage(x), storage(gy), wa);
        assertClose(data(we), data(wa), sumTol(s.n() * s.outH() * s.outW()) * 4, "conv2d bwd weight " + s);
    }

    private static Conv2dShape shape(int n, int cIn, int h, int w, int cOut, int k, int stride, int pad, int dil, int groups) {
        return new Conv2dShape(n, cIn, h, w, cOut, k, k, stride, stride, pad, pad, dil, dil, groups);
    }

    @Test
    void threeByThreeVariants() {
        Random r = new Random(21);
        check(r, shape(3, 5, 9, 11, 7, 3, 1, 1, 1, 1), true);
        check(r, shape(2, 16, 16, 16, 32, 3, 2, 1, 1, 1), false);
        check(r, shape(4, 3, 7, 5, 17, 3, 1, 0, 1, 1), true);
        check(r, shape(2, 4, 13, 13, 6, 3, 2, 2, 2, 1), false);   // dilation 2
        check(r, new Conv2dShape(2, 3, 10, 7, 5, 3, 2, 1, 2, 1, 0, 1, 1, 1), true); // non-square kernel/stride
    }

    @Test
    void pointwiseGroupedAndDepthwise() {
        Random r = new Random(22);
        check(r, shape(3, 16, 8, 8, 33, 1, 1, 0, 1, 1), true);   // 1x1 direct GEMM path
        check(r, shape(2, 16, 9, 9, 32, 1, 2, 0, 1, 1), false);  // 1x1 stride 2 via im2col
        check(r, shape(2, 8, 7, 7, 12, 3, 1, 1, 1, 4), true);    // grouped
        check(r, shape(3, 8, 10, 10, 8, 3, 1, 1, 1, 8), true);   // depthwise
        check(r, shape(2, 6, 9, 11, 6, 5, 2, 2, 1, 6), false);   // depthwise strided
        check(r, shape(1, 1, 1, 1, 1, 1, 1, 0, 1, 1), true);     // all size-1
        check(r, shape(2, 3, 5, 5, 4, 5, 1, 2, 1, 1), false);
    }

    @Test
    void directPathTakesTheResNetLayers() {
        assertTrue(Conv2dKernels.direct(shape(128, 16, 32, 32, 16, 3, 1, 1, 1, 1)));
        assertTrue(Conv2dKernels.direct(shape(128, 16, 32, 32, 32, 3, 2, 1, 1, 1)));
        assertTrue(Conv2dKernels.direct(shape(128, 16, 32, 32, 32, 1, 2, 0, 1, 1)));
        assertFalse(Conv2dKernels.direct(shape(128, 16, 32, 32, 32, 1, 1, 0, 1, 1)));
        assertFalse(Conv2dKernels.direct(shape(2, 8, 10, 10, 8, 3, 1, 1, 1, 8)));
    }

    /** The direct kernels against the reference on random geometries: odd sizes, tails, strides 1-3, padding beyond the kernel, batch 1. */
    @Test
    void randomGeometries() {
        Random r = new Random(23);
        for (int i = 0; i < 60; i++) {
            int k = 1 + r.nextInt(5), kw = r.nextBoolean() ? k : 1 + r.nextInt(5);
            int sh = 1 + r.nextInt(3), sw = r.nextBoolean() ? sh : 1 + r.nextInt(3);
            int dh = r.nextInt(4) == 0 ? 2 : 1, dw = r.nextInt(4) == 0 ? 2 : 1;
            int ph = r.nextInt(k + 1), pw = r.nextInt(kw + 1);
            int groups = r.nextInt(5) == 0 ? 2 : 1;
            int cin = groups * (1 + r.nextInt(i < 50 ? 9 : 40)), cout = groups * (1 + r.nextInt(i < 50 ? 13 : 40));
            int h = Math.max(1 + (k - 1) * dh - 2 * ph, 1) + r.nextInt(14), w = Math.max(1 + (kw - 1) * dw - 2 * pw, 1) + r.nextInt(40);
            int n = 1 + r.nextInt(4);
            check(r, new Conv2dShape(n, cin, h, w, cout, k, kw, sh, sw, ph, pw, dh, dw, groups), r.nextBoolean());
        }
    }

    /** Each ResNet-20 layer geometry (batch 3): stem, stride 1 and 2 in every stage, 1x1 stride-2 shortcuts. */
    @Test
    void resnetLayers() {
        Random r = new Random(24);
        int[][] layers = {{3, 32, 16, 3, 1}, {16, 32, 16, 3, 1}, {16, 32, 32, 3, 2}, {32, 16, 32, 3, 1}, {16, 32, 32, 1, 2},
                {32, 16, 64, 3, 2}, {64, 8, 64, 3, 1}, {32, 16, 64, 1, 2}, {64, 56, 64, 3, 1}, {64, 7, 128, 3, 2}};
        for (int[] l : layers) {
            check(r, shape(3, l[0], l[1], l[1], l[2], l[3], l[4], l[3] / 2, 1, 1), false);
        }
    }
}
