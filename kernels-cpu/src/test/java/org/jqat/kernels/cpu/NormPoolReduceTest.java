package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;

import java.util.Random;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Pool2dShape;
import org.jqat.core.backend.ReduceOp;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

class NormPoolReduceTest {

    @Test
    void batchNormTrainEvalBackward() {
        Random r = new Random(51);
        int[][] shapes = {{4, 3, 17}, {2, 16, 64}, {1, 5, 1}, {7, 2, 33}, {3, 4, 1000}, {130, 3, 64}, {9, 2, 1025}, {5, 3, 40}};
        for (int[] sh : shapes) {
            int n = sh[0], c = sh[1], hw = sh[2], total = n * c * hw;
            float[] x = randn(r, total), gy = randn(r, total), gamma = randn(r, c), beta = randn(r, c);
            for (int i = 0; i < total; i++) {
                x[i] = x[i] * 2 + 3; // non-zero mean exercises the two-pass variance
            }
            for (boolean affine : new boolean[] {true, false}) {
                Storage g = affine ? storage(gamma) : null, b = affine ? storage(beta) : null;
                Storage[] e = {new HeapStorage(total), new HeapStorage(c), new HeapStorage(c), new HeapStorage(c)};
                Storage[] a = {new HeapStorage(total), new HeapStorage(c), new HeapStorage(c), new HeapStorage(c)};
                REF.batchNormTrain(storage(x), n, c, hw, g, b, 1e-5f, e[0], e[1], e[2], e[3]);
                CPU.batchNormTrain(storage(x), n, c, hw, g, b, 1e-5f, a[0], a[1], a[2], a[3]);
                for (int k = 0; k < 4; k++) {
                    assertClose(data(e[k]), data(a[k]), 1e-5, "bn train output " + k + " " + n + "x" + c + "x" + hw);
                }
                Storage ee = new HeapStorage(total), ea = new HeapStorage(total);
                REF.batchNormEval(storage(x), n, c, hw, e[1], e[2], g, b, 1e-5f, ee);
                CPU.batchNormEval(storage(x), n, c, hw, e[1], e[2], g, b, 1e-5f, ea);
                assertClose(data(ee), data(ea), 1e-5, "bn eval");
                Storage gxe = new HeapStorage(total), gxa = new HeapStorage(total);
                Storage gge = new HeapStorage(c), gga = new HeapStorage(c), gbe = new HeapStorage(c), gba = new HeapStorage(c);
                REF.batchNormBackward(storage(x), storage(gy), n, c, hw, g, e[1], e[3], gxe, gge, gbe);
                CPU.batchNormBackward(storage(x), storage(gy), n, c, hw, g, e[1], e[3], gxa, gga, gba);
                double tol = sumTol(n * hw) * 4;
                assertClose(data(gge), data(gga), tol, "bn gGamma");
                assertClose(data(gbe), data(gba), tol, "bn gBeta");
                assertClose(data(gxe), data(gxa), tol * 10, "bn gx");
            }
        }
    }

    /** The fused batch norm + residual + ReLU against the reference's unfused composition. */
    @Test
    void batchNormReluFused() {
        Random r = new Random(52);
        int[][] shapes = {{4, 3, 17}, {2, 16, 64}, {7, 2, 33}, {130, 3, 64}, {3, 5, 1}};
        for (int[] sh : shapes) {
            int n = sh[0], c = sh[1], hw = sh[2], total = n * c * hw;
            float[] x = randn(r, total), res = randn(r, total), gy = randn(r, total), gamma = randn(r, c), beta = randn(r, c);
            for (boolean withResidual : new boolean[] {false, true}) {
                Storage rs = withResidual ? storage(res) : null;
                Storage[] e = {new HeapStorage(total), new HeapStorage(c), new HeapStorage(c), new HeapStorage(c)};
                Storage[] a = {new HeapStorage(total), new HeapStorage(c), new HeapStorage(c), new HeapStorage(c)};
                REF.batchNormReluTrain(storage(x), rs, n, c, hw, storage(gamma), storage(beta), 1e-5f, e[0], e[1], e[2], e[3]);
                CPU.batchNormReluTrain(storage(x), rs, n, c, hw, storage(gamma), storage(beta), 1e-5f, a[0], a[1], a[2], a[3]);
                String what = "bn+relu " + n + "x" + c + "x" + hw + (withResidual ? " + residual" : "");
                for (int k = 0; k < 4; k++) {
                    assertClose(data(e[k]), data(a[k]), 1e-5, what + " output " + k);
                }
                Storage pe = new HeapStorage(total), pa = new HeapStorage(total);
                Storage gxe = new HeapStorage(total), gxa = new HeapStorage(total);
                Storage gge = new HeapStorage(c), gga = new HeapStorage(c), gbe = new HeapStorage(c), gba = new HeapStorage(c);
                java.util.Arrays.fill(data(gxa), Float.NaN);
                java.util.Arrays.fill(data(pa), Float.NaN);
                REF.batchNormReluBackward(storage(x), e[0], storage(gy), n, c, hw, storage(gamma), e[1], e[3], pe, gxe, gge, gbe);
                CPU.batchNormReluBackward(storage(x), e[0], storage(gy), n, c, hw, storage(gamma), e[1], e[3], pa, gxa, gga, gba);
                double tol = sumTol(n * hw) * 4;
                assertClose(data(pe), data(pa), 0, what + " gPre");
                assertClose(data(gge), data(gga), tol, what + " gGamma");
                assertClose(data(gbe), data(gba), tol, what + " gBeta");
                assertClose(data(gxe), data(gxa), tol * 10, what + " gx");
                Storage ve = new HeapStorage(total), va = new HeapStorage(total);
                Storage rv = storage(java.util.Arrays.copyOf(data(e[2]), c));
                REF.batchNormReluEval(storage(x), rs, n, c, hw, e[1], rv, storage(gamma), storage(beta), 1e-5f, ve);
                CPU.batchNormReluEval(storage(x), rs, n, c, hw, e[1], rv, storage(gamma), storage(beta), 1e-5f, va);
                assertClose(data(ve), data(va), 1e-5, what + " eval");
                // without gPre and gx: only the parameter gradients
                Storage gg2 = new HeapStorage(c);
                CPU.batchNormReluBackward(storage(x), e[0], storage(gy), n, c, hw, storage(gamma), e[1], e[3], null, null, gg2, null);
                assertClose(data(gge), data(gg2), tol, what + " gGamma alone");
            }
        }
    }

    @Test
    void poolingForwardBackward() {
        Random r = new Random(52);
        Pool2dShape[] shapes = {
            new Pool2dShape(6, 8, 8, 2, 2, 2, 2, 0, 0),
            new Pool2dShape(3, 9, 7, 3, 3, 2, 2, 1, 1),
            new Pool2dShape(2, 5, 5, 3, 3, 1, 1, 1, 1),
            new Pool2dShape(1, 1, 1, 1, 1, 1, 1, 0, 0),
            new Pool2dShape(4, 11, 6, 2, 3, 1, 3, 1, 0),
        };
        for (Pool2dShape s : shapes) {
            int in = s.planes() * s.h() * s.w(), out = s.planes() * s.outH() * s.outW();
            float[] x = randn(r, in), gy = randn(r, out);
            Storage ye = new HeapStorage(out), ya = new HeapStorage(out);
            REF.maxPool2d(s, storage(x), ye);
            CPU.maxPool2d(s, storage(x), ya);
            assertBitExact(data(ye), data(ya), "maxpool " + s);
            Storage ge = new HeapStorage(in), ga = new HeapStorage(in);
            REF.maxPool2dBackward(s, storage(x), storage(gy), ge);
            CPU.maxPool2dBackward(s, storage(x), storage(gy), ga);
            assertBitExact(data(ge), data(ga), "maxpool bwd " + s);
            REF.avgPool2d(s, storage(x), ye);
            CPU.avgPool2d(s, storage(x), ya);
            assertBitExact(data(ye), data(ya), "avgpool " + s);
            REF.avgPool2dBackward(s, storage(gy), ge);
            CPU.avgPool2dBackward(s, storage(gy), ga);
            assertClose(data(ge), data(ga), 1e-6, "avgpool bwd " + s);
        }
    }

    @Test
    void reductionsAndChannelSum() {
        Random r = new Random(53);
        int[][] shapes = {{1, 1, 1}, {3, 17, 1}, {2, 65, 5}, {4, 33, 31}, {1, 10_000, 1}, {2, 0, 3}, {5, 7, 64}};
        for (int[] sh : shapes) {
            int outer = sh[0], n = sh[1], inner = sh[2];
            float[] x = randn(r, outer * n * inner);
            for (ReduceOp op : ReduceOp.values()) {
                if (n == 0 && op != ReduceOp.SUM) {
                    continue;
                }
                Storage e = new HeapStorage(outer * inner), a = new HeapStorage(outer * inner);
                REF.reduce(op, storage(x), outer, n, inner, e);
                CPU.reduce(op, storage(x), outer, n, inner, a);
                assertClose(data(e), data(a), sumTol(n), op + " " + java.util.Arrays.toString(sh));
            }
            if (n > 0) {
                Storage e = new HeapStorage(n), a = new HeapStorage(n);
                REF.channelSum(storage(x), outer, n, inner, e);
                CPU.channelSum(storage(x), outer, n, inner, a);
                assertClose(data(e), data(a), sumTol(outer * inner), "channelSum");
            }
        }
    }
}
