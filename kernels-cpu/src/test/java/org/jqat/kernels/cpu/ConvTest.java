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

    /** A conv kernel family under test: the backend's routing, or one implementation called directly. */
    private interface Impl {
        void forward(Conv2dShape s, float[] x, float[] w, float[] b, float[] y);

        void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx);

        void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw);
    }

    private static final Impl ROUTED = new Impl() {
        public void forward(Conv2dShape s, float[] x, float[] w, float[] b, float[] y) {
            CPU.conv2d(s, storage(x), storage(w), b == null ? null : storage(b), new HeapStorage(y));
        }

        public void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx) {
            CPU.conv2dBackwardData(s, storage(gy), storage(w), new HeapStorage(gx));
        }

        public void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw) {
            CPU.conv2dBackwardWeight(s, storage(x), storage(gy), new HeapStorage(gw));
        }
    };

    private static final Impl DIRECT = new Impl() {
        public void forward(Conv2dShape s, float[] x, float[] w, float[] b, float[] y) {
            DirectConv.forward(s, x, w, b, y);
        }

        public void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx) {
            DirectConv.backwardData(s, gy, w, gx);
        }

        public void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw) {
            DirectConv.backwardWeight(s, x, gy, gw);
        }
    };

    private static final Impl IM2COL = new Impl() {
        public void forward(Conv2dShape s, float[] x, float[] w, float[] b, float[] y) {
            Conv2dKernels.forwardIm2col(s, x, w, b, y);
        }

        public void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx) {
            Conv2dKernels.backwardDataIm2col(s, gy, w, gx);
        }

        public void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw) {
            Conv2dKernels.backwardWeightIm2col(s, x, gy, gw);
        }
    };

    /** The backend's conv, and (but for depthwise layers) both GEMM-free and im2col kernels, against the reference. */
    private static void check(Random r, Conv2dShape s, boolean bias) {
        int xs = s.n() * s.cIn() * s.h() * s.w(), ys = s.n() * s.cOut() * s.outH() * s.outW();
        float[] x = randn(r, xs), w = randn(r, s.weightSize()), b = bias ? randn(r, s.cOut()) : null, gy = randn(r, ys);
        Storage ye = new HeapStorage(ys), ge = new HeapStorage(xs), we = new HeapStorage(s.weightSize());
        REF.conv2d(s, storage(x), storage(w), b == null ? null : storage(b), ye);
        REF.conv2dBackwardData(s, storage(gy), storage(w), ge);
        REF.conv2dBackwardWeight(s, storage(x), storage(gy), we);
        Impl[] impls = Conv2dKernels.depthwise(s) ? new Impl[] {ROUTED} : new Impl[] {ROUTED, DIRECT, IM2COL};
        String[] names = {"routed", "direct", "im2col"};
        for (int i = 0; i < impls.length; i++) {
            String what = names[i] + " " + s;
            float[] y = new float[ys], gx = new float[xs], gw = new float[s.weightSize()];
            java.util.Arrays.fill(y, Float.NaN); // outputs must be overwritten
            java.util.Arrays.fill(gx, Float.NaN);
            java.util.Arrays.fill(gw, Float.NaN);
            impls[i].forward(s, x, w, b, y);
            assertClose(data(ye), y, sumTol(s.cInPerGroup() * s.kh() * s.kw()) * 4, "conv2d fwd " + what);
            impls[i].backwardData(s, gy, w, gx);
            assertClose(data(ge), gx, sumTol(s.cOut() * s.kh() * s.kw()) * 4, "conv2d bwd data " + what);
            impls[i].backwardWeight(s, x, gy, gw);
            assertClose(data(we), gw, sumTol(s.n() * s.outH() * s.outW()) * 4, "conv2d bwd weight " + what);
        }
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
        assertFalse(Conv2dKernels.direct(shape(128, 16, 32, 32, 32, 1, 2, 0, 1, 1)));
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
                {32, 16, 64, 3, 2}, {64, 8, 64, 3, 1}, {32, 16, 64, 1, 2}, {64, 56, 64, 3, 1}, {64, 7, 128, 3, 2},
                {128, 5, 64, 3, 1}, {64, 9, 128, 3, 1}};
        for (int[] l : layers) {
            check(r, shape(3, l[0], l[1], l[1], l[2], l[3], l[4], l[3] / 2, 1, 1), false);
        }
    }

    /**
     * The convolution of a fake-quantized input: quantizing while laying out the input must give
     * bit for bit the conv of the tensor the fake-quantize kernel writes (so forward and backward,
     * which recomputes that tensor, agree), and match the reference.
     */
    @Test
    void fakeQuantizedInput() {
        Random r = new Random(25);
        Conv2dShape[] shapes = {shape(3, 16, 9, 11, 8, 3, 1, 1, 1, 1), shape(2, 5, 12, 12, 9, 3, 2, 1, 1, 1),
                shape(2, 4, 8, 8, 6, 1, 2, 0, 1, 1), shape(1, 6, 7, 7, 4, 3, 1, 1, 1, 2)};
        for (Conv2dShape s : shapes) {
            int xs = s.n() * s.cIn() * s.h() * s.w(), ys = s.n() * s.cOut() * s.outH() * s.outW();
            float[] x = randn(r, xs), w = randn(r, s.weightSize()), b = randn(r, s.cOut());
            for (float[] q : new float[][] {{0.37f, 0f, 0f, 15f}, {0.21f, -0.1f, -8f, 7f}, {0.5f, 0.25f, -2f, 1f}}) {
                org.jqat.core.backend.FakeQuantShape fq =
                        org.jqat.core.backend.FakeQuantShape.perTensor(xs, q[2], q[3], 1f, true);
                Storage scale = storage(new float[] {q[0]}), offset = q[1] == 0f ? null : storage(new float[] {q[1]});
                Storage xq = new HeapStorage(xs);
                CPU.fakeQuantize(fq, storage(x), scale, offset, xq, CPU.allocateMask(xs));
                Storage unfused = new HeapStorage(ys), fused = new HeapStorage(ys), ref = new HeapStorage(ys);
                CPU.conv2d(s, xq, storage(w), storage(b), unfused);
                CPU.conv2dFakeQuantInput(s, fq, storage(x), scale, offset, storage(w), storage(b), fused);
                REF.conv2dFakeQuantInput(s, fq, storage(x), scale, offset, storage(w), storage(b), ref);
                assertBitExact(data(unfused), data(fused), "fused fake-quant conv " + s);
                assertClose(data(ref), data(fused), sumTol(s.cInPerGroup() * s.kh() * s.kw()) * 4, "vs reference " + s);
            }
        }
    }
}
