package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;

import java.util.Random;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
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
}
