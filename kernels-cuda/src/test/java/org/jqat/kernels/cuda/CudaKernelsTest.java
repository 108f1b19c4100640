package org.jqat.kernels.cuda;

import static org.jqat.kernels.cuda.CudaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapBitMask;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Pool2dShape;
import org.jqat.core.backend.ReduceOp;
import org.jqat.core.backend.Storage;
import org.jqat.core.backend.UnaryOp;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every CUDA kernel against ReferenceBackend on random shapes with odd sizes and tails (skipped without a GPU). */
class CudaKernelsTest {

    @BeforeEach
    void gpu() {
        requireGpu();
    }

    @Test
    void uploadDownloadFillCopy() {
        Random r = new Random(1);
        for (int n : TAIL_SIZES) {
            float[] x = randn(r, n);
            Storage s = dev(x);
            assertBitExact(x, d(s), "roundtrip " + n);
            int off = n / 3, cnt = n - off;
            CUDA.fill(s, off, cnt, 2.5f);
            float[] e = x.clone();
            java.util.Arrays.fill(e, off, n, 2.5f);
            assertBitExact(e, d(s), "fill " + n);
            CUDA.fill(s, 0, n, 0f);
            assertBitExact(new float[n], d(s), "fill zero " + n);
            assertBitExact(new float[n], d(CUDA.allocate(n)), "allocate zeroed " + n);
            s.close();
        }
        // big transfer spanning several staging buffers
        float[] big = randn(r, (5 << 20) + 17);
        assertBitExact(big, d(dev(big)), "big roundtrip");
        assertBitExact(java.util.Arrays.copyOfRange(big, 1000, 2000), CUDA.download(dev(big), 1000, 1000), "partial download");
    }

    @Test
    void stridedCopy() {
        Random r = new Random(2);
        int[][] shapes = {{5}, {3, 7}, {2, 3, 5}, {4, 1, 3, 2}, {2, 2, 2, 2, 2, 2, 2, 2, 2, 3}};
        for (int[] shape : shapes) {
            int n = (int) CudaBackend.numel(shape);
            int[] cs = CudaBackend.contiguousStrides(shape);
            // source: a transposed (reversed-axes) view of a bigger buffer with an offset
            int[] rev = new int[shape.length];
            int acc = 1;
            for (int d = 0; d < shape.length; d++) {
                rev[d] = acc;
                acc *= shape[d];
            }
            float[] src = randn(r, n + 5);
            Storage hs = host(src), ds = dev(src);
            Storage hd = new HeapStorage(n + 3), dd = CUDA.allocate(n + 3);
            REF.copy(shape, hs, 5, rev, hd, 3, cs);
            CUDA.copy(shape, ds, 5, rev, dd, 3, cs);
            assertBitExact(h(hd), d(dd), "copy " + java.util.Arrays.toString(shape));
            // contiguous (memcpy path)
            REF.copy(shape, hs, 2, cs, hd, 1, cs);
            CUDA.copy(shape, ds, 2, cs, dd, 1, cs);
            assertBitExact(h(hd), d(dd), "contiguous copy " + java.util.Arrays.toString(shape));
        }
    }

    @Test
    void unaryAndBackward() {
        Random r = new Random(3);
        for (UnaryOp op : UnaryOp.values()) {
            for (int n : new int[] {1, 33, 1000, 4097}) {
                float[] x = randn(r, n);
                if (op == UnaryOp.LOG || op == UnaryOp.SQRT) {
                    for (int i = 0; i < n; i++) {
                        x[i] = Math.abs(x[i]) + 0.01f;
                    }
                }
                float[] g = randn(r, n);
                Storage hy = new HeapStorage(n), dy = CUDA.allocate(n);
                REF.unary(op, host(x), hy, n);
                Storage dx = dev(x);
                CUDA.unary(op, dx, dy, n);
                assertClose(h(hy), d(dy), 2e-7, "unary " + op);
                Storage hg = new HeapStorage(n), dg = CUDA.allocate(n);
                REF.unaryBackward(op, host(x), hy, host(g), hg, n);
                CUDA.unaryBackward(op, dx, dev(h(hy)), dev(g), dg, n);
                assertClose(h(hg), d(dg), 2e-7, "unary backward " + op);
            }
        }
    }

    @Test
    void clampAffine() {
        Random r = new Random(4);
        for (int n : TAIL_SIZES) {
            float[] x = randn(r, n), g = randn(r, n);
            Storage hy = new HeapStorage(n), dy = CUDA.allocate(n);
            REF.clamp(host(x), hy, n, -0.5f, 0.7f);
            CUDA.clamp(dev(x), dy, n, -0.5f, 0.7f);
            assertBitExact(h(hy), d(dy), "clamp");
            REF.clampBackward(host(x), host(g), hy, n, -0.5f, 0.7f);
            CUDA.clampBackward(dev(x), dev(g), dy, n, -0.5f, 0.7f);
            assertBitExact(h(hy), d(dy), "clamp backward");
            REF.affine(host(x), hy, n, 1.7f, -0.3f);
            CUDA.affine(dev(x), dy, n, 1.7f, -0.3f);
            assertBitExact(h(hy), d(dy), "affine");
        }
    }

    @Test
    void broadcastingBinary() {
        Random r = new Random(5);
        int[][][] cases = {
                {{7}, {1}, {1}},            // same shape, flat path
                {{3, 5}, {5, 1}, {0, 1}},   // b broadcast over rows
                {{4, 3, 6}, {18, 6, 1}, {0, 1, 0}},
                {{2, 3, 4, 5}, {60, 20, 5, 1}, {0, 5, 0, 1}},
        };
        for (BinaryOp op : BinaryOp.values()) {
            for (int[][] c : cases) {
                int[] shape = c[0];
                int n = (int) CudaBackend.numel(shape);
                float[] a = randn(r, n + 2), b = randn(r, n + 1);
                if (op == BinaryOp.POW) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] = Math.abs(a[i]) + 0.1f;
                    }
                }
                if (op == BinaryOp.EQ) {
                    System.arraycopy(a, 0, b, 0, Math.min(5, b.length));
                }
                int[] as = CudaBackend.contiguousStrides(shape);
                Storage ho = new HeapStorage(n), dout = CUDA.allocate(n);
                REF.binary(op, shape, host(a), 2, as, host(b), 1, c[2], ho);
                CUDA.binary(op, shape, dev(a), 2, as, dev(b), 1, c[2], dout);
                if (op == BinaryOp.POW) {
                    assertClose(h(ho), d(dout), 2e-7, "binary " + op);
                } else {
                    assertBitExact(h(ho), d(dout), "binary " + op + " " + java.util.Arrays.toString(shape));
                }
            }
        }
    }

    @Test
    void reductionsArgmaxChannelSum() {
        Random r = new Random(6);
        int[][] shapes = {{1, 1, 1}, {3, 7, 5}, {2, 1000, 1}, {5, 300, 1}, {1, 33, 129}, {17, 1, 3}, {4, 0, 3}};
        for (ReduceOp op : ReduceOp.values()) {
            for (int[] s : shapes) {
                if (s[1] == 0 && op != ReduceOp.SUM) {
                    continue;
                }
                int n = s[0] * s[1] * s[2];
                float[] x = randn(r, n);
                if (n > 10) {
                    x[7] = Float.NaN;
                }
                Storage ho = new HeapStorage(s[0] * s[2]), dout = CUDA.allocate(s[0] * s[2]);
                REF.reduce(op, host(x), s[0], s[1], s[2], ho);
                CUDA.reduce(op, dev(x), s[0], s[1], s[2], dout);
                assertClose(h(ho), d(dout), 1e-6, "reduce " + op + " " + java.util.Arrays.toString(s));
            }
        }
        for (int[] s : new int[][] {{3, 7, 5}, {64, 10, 1}, {1, 1000, 1}}) {
            float[] x = randn(r, s[0] * s[1] * s[2]);
            x[1] = x[2]; // ties take the first
            Storage ho = new HeapStorage(s[0] * s[2]), dout = CUDA.allocate(s[0] * s[2]);
            REF.argmax(host(x), s[0], s[1], s[2], ho);
            CUDA.argmax(dev(x), s[0], s[1], s[2], dout);
            assertBitExact(h(ho), d(dout), "argmax");
        }
        for (int[] s : new int[][] {{2, 3, 5}, {7, 16, 1}, {3, 1, 5000}}) {
            float[] x = randn(r, s[0] * s[1] * s[2]);
            Storage ho = new HeapStorage(s[1]), dout = CUDA.allocate(s[1]);
            REF.channelSum(host(x), s[0], s[1], s[2], ho);
            CUDA.channelSum(dev(x), s[0], s[1], s[2], dout);
            assertClose(h(ho), d(dout), 1e-6, "channelSum");
        }
    }

    @Test
    void gemmAllTransposesTailsAlphaBeta() {
        Random r = new Random(7);
        int[][] sizes = {{1, 1, 1}, {5, 7, 3}, {33, 17, 9}, {130, 129, 65}, {16, 300, 27}, {300, 10, 50}, {64, 64, 0}};
        for (int[] sz : sizes) {
            int m = sz[0], n = sz[1], k = sz[2];
            for (int t = 0; t < 4; t++) {
                boolean ta = (t & 2) != 0, tb = (t & 1) != 0;
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                float[] a = randn(r, 2 + (ta ? k : m) * lda), b = randn(r, 1 + (tb ? n : k) * ldb);
                float[] c = randn(r, 4 + m * ldc);
                for (float beta : new float[] {0f, 0.5f}) {
                    float[] c0 = c.clone();
                    if (beta == 0f) {
                        c0[4] = Float.NaN; // ignored when beta is 0
                    }
                    Storage hc = host(c0);
                    REF.gemm(ta, tb, m, n, k, 1.25f, host(a), 2, lda, host(b), 1, ldb, beta, hc, 4, ldc);
                    Storage dc = dev(c0);
                    CUDA.gemmOwn(ta, tb, m, n, k, 1.25f, dev(a), 2, lda, dev(b), 1, ldb, beta, dc, 4, ldc);
                    double tol = 2e-6 * Math.sqrt(Math.max(1, k)) + 1e-6;
                    String what = "own gemm ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " beta=" + beta;
                    assertClose(h(hc), d(dc), tol, what);
                    Storage dc2 = dev(c0);
                    CUDA.gemm(ta, tb, m, n, k, 1.25f, dev(a), 2, lda, dev(b), 1, ldb, beta, dc2, 4, ldc);
                    assertClose(h(hc), d(dc2), tol, "dispatched " + what + (CUDA.usesCublas() ? " (cuBLAS)" : ""));
                }
            }
        }
    }

    @Test
    void softmaxAndBackward() {
        Random r = new Random(8);
        for (int[] s : new int[][] {{1, 1}, {3, 10}, {64, 33}, {5, 1000}, {1000, 7}}) {
            int n = s[0] * s[1];
            for (boolean log : new boolean[] {false, true}) {
                float[] x = randn(r, n), g = randn(r, n);
                Storage hy = new HeapStorage(n), dy = CUDA.allocate(n);
                REF.softmax(host(x), hy, s[0], s[1], log);
                CUDA.softmax(dev(x), dy, s[0], s[1], log);
                assertClose(h(hy), d(dy), 1e-6, "softmax log=" + log);
                Storage hg = new HeapStorage(n), dg = CUDA.allocate(n);
                REF.softmaxBackward(hy, host(g), hg, s[0], s[1], log);
                CUDA.softmaxBackward(dev(h(hy)), dev(g), dg, s[0], s[1], log);
                assertClose(h(hg), d(dg), 1e-6, "softmax backward log=" + log);
            }
        }
    }

    @Test
    void pickScatterGather() {
        Random r = new Random(9);
        int rows = 37, cols = 11;
        float[] x = randn(r, rows * cols), g = randn(r, rows);
        int[] idx = new int[rows];
        for (int i = 0; i < rows; i++) {
            idx[i] = r.nextInt(cols);
        }
        Storage ho = new HeapStorage(rows), dout = CUDA.allocate(rows);
        REF.pickRows(host(x), rows, cols, idx, ho);
        CUDA.pickRows(dev(x), rows, cols, idx, dout);
        assertBitExact(h(ho), d(dout), "pickRows");
        Storage hgx = new HeapStorage(rows * cols), dgx = CUDA.allocate(rows * cols);
        REF.scatterRows(host(g), rows, cols, idx, hgx);
        CUDA.scatterRows(dev(g), rows, cols, idx, dgx);
        assertBitExact(h(hgx), d(dgx), "scatterRows");

        for (int[] s : new int[][] {{3, 5, 4, 6}, {2, 7, 1, 9}, {1, 300, 2, 400}}) {
            int outer = s[0], nIn = s[1], inner = s[2], nOut = s[3];
            float[] xs = randn(r, outer * nIn * inner), gs = randn(r, outer * nOut * inner);
            int[] index = new int[outer * nOut * inner];
            for (int i = 0; i < index.length; i++) {
                index[i] = r.nextInt(nIn);
            }
            Storage hg = new HeapStorage(index.length), dg = CUDA.allocate(index.length);
            REF.gather(host(xs), outer, nIn, inner, index, nOut, hg);
            CUDA.gather(dev(xs), outer, nIn, inner, index, nOut, dg);
            assertBitExact(h(hg), d(dg), "gather");
            Storage hb = new HeapStorage(xs.length), db = CUDA.allocate(xs.length);
            REF.gatherBackward(host(gs), outer, nIn, inner, index, nOut, hb);
            CUDA.gatherBackward(dev(gs), outer, nIn, inner, index, nOut, db);
            assertClose(h(hb), d(db), 1e-6, "gatherBackward " + java.util.Arrays.toString(s));
        }
    }

    @Test
    void convolutionForwardAndBackward() {
        Random r = new Random(10);
        Conv2dShape[] shapes = {
                new Conv2dShape(2, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dShape(3, 4, 8, 8, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2),     // groups, stride
                new Conv2dShape(1, 16, 11, 13, 33, 1, 1, 1, 1, 0, 0, 1, 1, 1),  // pointwise
                new Conv2dShape(2, 6, 9, 10, 6, 3, 5, 1, 2, 2, 1, 2, 1, 6),     // depthwise, dilation
                new Conv2dShape(5, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),   // ResNet stem
        };
        for (Conv2dShape s : shapes) {
            int xn = s.n() * s.cIn() * s.h() * s.w(), yn = s.n() * s.cOut() * s.outH() * s.outW();
            float[] x = randn(r, xn), w = randn(r, s.weightSize()), b = randn(r, s.cOut()), gy = randn(r, yn);
            double tol = 2e-6 * Math.sqrt(s.cInPerGroup() * s.kh() * s.kw() * 4.0) + 1e-5;
            Storage hy = new HeapStorage(yn), dy = CUDA.allocate(yn);
            REF.conv2d(s, host(x), host(w), host(b), hy);
            CUDA.conv2d(s, dev(x), dev(w), dev(b), dy);
            assertClose(h(hy), d(dy), tol, "conv2d " + s);
            REF.conv2d(s, host(x), host(w), null, hy);
            CUDA.conv2d(s, dev(x), dev(w), null, dy);
            assertClose(h(hy), d(dy), tol, "conv2d no bias " + s);
            Storage hgx = new HeapStorage(xn), dgx = CUDA.allocate(xn);
            REF.conv2dBackwardData(s, host(gy), host(w), hgx);
            CUDA.conv2dBackwardData(s, dev(gy), dev(w), dgx);
            assertClose(h(hgx), d(dgx), tol * 3, "conv2d backward data " + s);
            Storage hgw = new HeapStorage(s.weightSize()), dgw = CUDA.allocate(s.weightSize());
            REF.conv2dBackwardWeight(s, host(x), host(gy), hgw);
            CUDA.conv2dBackwardWeight(s, dev(x), dev(gy), dgw);
            double tolW = 2e-6 * Math.sqrt((double) s.n() * s.outH() * s.outW()) * 4 + 1e-5;
            assertClose(h(hgw), d(dgw), tolW, "conv2d backward weight " + s);
        }
    }

    @Test
    void pooling() {
        Random r = new Random(11);
        Pool2dShape[] shapes = {
                new Pool2dShape(3, 7, 9, 2, 2, 2, 2, 0, 0),
                new Pool2dShape(4, 8, 8, 3, 3, 2, 2, 1, 1),
                new Pool2dShape(2, 5, 6, 3, 2, 1, 1, 1, 1),
                new Pool2dShape(6, 8, 8, 8, 8, 1, 1, 0, 0),
        };
        for (Pool2dShape s : shapes) {
            int xn = s.planes() * s.h() * s.w(), yn = s.planes() * s.outH() * s.outW();
            float[] x = randn(r, xn), gy = randn(r, yn);
            x[3] = x[4]; // a tie: the first maximum wins
            Storage hy = new HeapStorage(yn), dy = CUDA.allocate(yn);
            REF.maxPool2d(s, host(x), hy);
            CUDA.maxPool2d(s, dev(x), dy);
            assertBitExact(h(hy), d(dy), "maxpool " + s);
            Storage hg = new HeapStorage(xn), dg = CUDA.allocate(xn);
            REF.maxPool2dBackward(s, host(x), host(gy), hg);
            CUDA.maxPool2dBackward(s, dev(x), dev(gy), dg);
            assertBitExact(h(hg), d(dg), "maxpool backward " + s);
            REF.avgPool2d(s, host(x), hy);
            CUDA.avgPool2d(s, dev(x), dy);
            assertClose(h(hy), d(dy), 1e-6, "avgpool " + s);
            REF.avgPool2dBackward(s, host(gy), hg);
            CUDA.avgPool2dBackward(s, dev(gy), dg);
            assertBitExact(h(hg), d(dg), "avgpool backward " + s);
        }
    }

    @Test
    void batchNorm() {
        Random r = new Random(12);
        for (int[] s : new int[][] {{2, 3, 5}, {8, 16, 64}, {3, 4, 4097}, {1, 2, 1}, {64, 7, 33}}) {
            int n = s[0], c = s[1], hw = s[2], total = n * c * hw;
            float[] x = randn(r, total), gy = randn(r, total), gamma = randn(r, c), beta = randn(r, c);
            for (int i = 0; i < total; i++) {
                x[i] = x[i] * 2 + 3; // offset mean, as after a ReLU
            }
            for (boolean affine : new boolean[] {true, false}) {
                Storage hg = affine ? host(gamma) : null, hb = affine ? host(beta) : null;
                Storage dg = affine ? dev(gamma) : null, db = affine ? dev(beta) : null;
                Storage hy = new HeapStorage(total), hm = new HeapStorage(c), hv = new HeapStorage(c), hi = new HeapStorage(c);
                Storage dy = CUDA.allocate(total), dm = CUDA.allocate(c), dv = CUDA.allocate(c), di = CUDA.allocate(c);
                REF.batchNormTrain(host(x), n, c, hw, hg, hb, 1e-5f, hy, hm, hv, hi);
                Storage dx = dev(x);
                CUDA.batchNormTrain(dx, n, c, hw, dg, db, 1e-5f, dy, dm, dv, di);
                assertClose(h(hy), d(dy), 1e-5, "bn train y");
                assertClose(h(hm), d(dm), 1e-6, "bn mean");
                assertClose(h(hv), d(dv), 1e-5, "bn var");
                assertClose(h(hi), d(di), 1e-5, "bn invStd");
                REF.batchNormEval(host(x), n, c, hw, hm, hv, hg, hb, 1e-5f, hy);
                CUDA.batchNormEval(dx, n, c, hw, dev(h(hm)), dev(h(hv)), dg, db, 1e-5f, dy);
                assertClose(h(hy), d(dy), 1e-6, "bn eval");
                Storage hgx = new HeapStorage(total), hgg = new HeapStorage(c), hgb = new HeapStorage(c);
                Storage dgx = CUDA.allocate(total), dgg = CUDA.allocate(c), dgb = CUDA.allocate(c);
                REF.batchNormBackward(host(x), host(gy), n, c, hw, hg, hm, hi, hgx, hgg, hgb);
                CUDA.batchNormBackward(dx, dev(gy), n, c, hw, dg, dev(h(hm)), dev(h(hi)), dgx, dgg, dgb);
                assertClose(h(hgx), d(dgx), 1e-5, "bn backward gx");
                assertClose(h(hgg), d(dgg), 1e-5, "bn backward gGamma");
                assertClose(h(hgb), d(dgb), 1e-5, "bn backward gBeta");
                Storage dgx2 = CUDA.allocate(total);
                CUDA.batchNormBackward(dx, dev(gy), n, c, hw, dg, dev(h(hm)), dev(h(hi)), dgx2, null, null);
                assertBitExact(d(dgx), d(dgx2), "bn backward gx only");
            }
        }
    }

    private static void fakeQuant(Random r, FakeQuantShape s, boolean withOffset) {
        int n = s.size(), ch = s.channels();
        float[] x = randn(r, n), gy = randn(r, n);
        if (n > 3) {
            x[0] = Float.NaN;
            x[1] = Float.POSITIVE_INFINITY;
            x[2] = -0.0f;
        }
        float[] scale = new float[ch], offset = new float[ch];
        for (int c = 0; c < ch; c++) {
            scale[c] = 0.05f + r.nextFloat() * 0.3f;
            offset[c] = withOffset ? (float) r.nextGaussian() * 0.2f : 0f;
        }
        for (int i = 3; i < n; i += 7) { // exact half steps: ties to even
            int c = (i / Math.max(1, s.inner())) % ch;
            x[i] = (r.nextInt(9) - 4 + 0.5f) * scale[c] + offset[c];
        }
        Storage hOff = withOffset ? host(offset) : null, dOff = withOffset ? dev(offset) : null;
        Storage hy = new HeapStorage(n), dy = CUDA.allocate(n);
        HeapBitMask hm = new HeapBitMask(n);
        CudaBitMask dm = (CudaBitMask) CUDA.allocateMask(n);
        REF.fakeQuantize(s, host(x), host(scale), hOff, hy, hm);
        Storage dx = dev(x), ds = dev(scale);
        CUDA.fakeQuantize(s, dx, ds, dOff, dy, dm);
        assertBitExact(h(hy), d(dy), "fq y " + s);
        assertArrayEquals(hm.words(), dm.toLongWords(), "fq mask " + s);
        if (n > 5) {
            for (int i : new int[] {0, 1, 2, n - 1}) {
                org.junit.jupiter.api.Assertions.assertEquals(hm.get(i), dm.get(i), "mask bit " + i);
            }
        }
        Storage hgx = new HeapStorage(n), hgs = new HeapStorage(ch), hgo = new HeapStorage(ch);
        Storage dgx = CUDA.allocate(n), dgs = CUDA.allocate(ch), dgo = CUDA.allocate(ch);
        REF.fakeQuantizeBackward(s, host(x), host(gy), host(scale), hOff, hm, hgx, hgs, hgo);
        Storage dgy = dev(gy);
        CUDA.fakeQuantizeBackward(s, dx, dgy, ds, dOff, dm, dgx, dgs, dgo);
        assertBitExact(h(hgx), d(dgx), "fq gx " + s);
        assertClose(h(hgs), d(dgs), 1e-6, "fq gScale " + s);
        assertClose(h(hgo), d(dgo), 1e-6, "fq gOffset " + s);
        // deterministic: a second run gives the same bits
        Storage dgs2 = CUDA.allocate(ch);
        CUDA.fakeQuantizeBackward(s, dx, dgy, ds, dOff, dm, null, dgs2, null);
        assertBitExact(d(dgs), d(dgs2), "fq gScale rerun " + s);
        Storage gxOnly = CUDA.allocate(n);
        CUDA.fakeQuantizeBackward(s, dx, dgy, ds, dOff, dm, gxOnly, null, null);
        assertBitExact(h(hgx), d(gxOnly), "fq gx only " + s);
    }

    @Test
    void fakeQuantizePerTensorTails() {
        Random r = new Random(13);
        for (int n : TAIL_SIZES) {
            fakeQuant(r, FakeQuantShape.perTensor(n, -8, 7, 0.1f, true), false);
            fakeQuant(r, FakeQuantShape.perTensor(n, 0, 15, 0.3f, false), true);
        }
    }

    @Test
    void fakeQuantizePerChannel() {
        Random r = new Random(14);
        fakeQuant(r, new FakeQuantShape(1, 16, 27, -4, 3, 0.2f, true), false);   // conv weight [16, 3·3·3]
        fakeQuant(r, new FakeQuantShape(5, 7, 33, -128, 127, 0.05f, true), true);
        fakeQuant(r, new FakeQuantShape(3, 64, 1, -2, 1, 1f, true), true);       // channels last
        fakeQuant(r, new FakeQuantShape(2, 3, 5000, -8, 7, 0.01f, true), false); // several chunks per channel
    }
}
