package org.jqat.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.Pool2dShape;
import org.jqat.core.backend.ReduceOp;
import org.jqat.core.backend.Storage;
import org.jqat.core.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * Every Java launch site against the PTX it launches, without a GPU: the PTX {@code .param}
 * lists are parsed, and every backend method runs on the dry-run device, which checks each
 * launch's arguments (count, order, 32/64-bit widths, int vs float, struct sizes) against them.
 * The run must reach every kernel in {@link Kernels#ALL}, so no launch site goes unchecked.
 */
class LaunchSignatureTest {

    @Test
    void everyPtxEntryHasAParsedParameterList() {
        int kernels = 0;
        for (String module : Kernels.ALL.keySet()) {
            Map<String, PtxSignature> sigs = PtxSignature.parseAll(CudaRuntime.ptx(module));
            assertEquals(PtxResourcesTest.entries(module), sigs.keySet(), module + ": parsed entries");
            // and no kernel is compiled but left out of Kernels.ALL (it would escape the dry-run check)
            assertEquals(new TreeSet<>(Kernels.ALL.get(module)), new TreeSet<>(sigs.keySet()), module + ": Kernels.ALL vs PTX");
            for (PtxSignature s : sigs.values()) {
                assertFalse(s.params().isEmpty(), s.kernel() + " has no parameters?");
                kernels++;
            }
        }
        assertTrue(kernels >= 46, "parsed " + kernels + " kernels");
    }

    @Test
    void parsesWidthsAndStructs() {
        Map<String, PtxSignature> sigs = PtxSignature.parseAll(CudaRuntime.ptx(Kernels.ELEMENTWISE));
        PtxSignature fill = sigs.get("jq_fill");
        assertEquals(List.of(new PtxSignature.Param(PtxSignature.Kind.B64, 8), new PtxSignature.Param(PtxSignature.Kind.I32, 4),
                new PtxSignature.Param(PtxSignature.Kind.I32, 4), new PtxSignature.Param(PtxSignature.Kind.F32, 4)), fill.params());
        // jq_copy_nd takes the packed NdView struct by value: 1 + 3·8 ints
        assertEquals(new PtxSignature.Param(PtxSignature.Kind.STRUCT, 100), sigs.get("jq_copy_nd").params().get(0));
        PtxSignature pool = PtxSignature.parseAll(CudaRuntime.ptx(Kernels.POOL)).get("jq_maxpool_forward");
        assertEquals(new PtxSignature.Param(PtxSignature.Kind.STRUCT, 44), pool.params().get(0));
    }

    @Test
    void mismatchedLaunchesAreRefused() {
        PtxSignature fill = PtxSignature.parseAll(CudaRuntime.ptx(Kernels.ELEMENTWISE)).get("jq_fill");
        Object ptr = null; // a null device pointer is a 64-bit argument
        fill.check(new Object[] {ptr, 0, 10, 1f});
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class, () -> fill.check(new Object[] {ptr, 0, 10}));
        assertTrue(count.getMessage().contains("jq_fill takes 4 parameters"), count.getMessage());
        IllegalArgumentException order = assertThrows(IllegalArgumentException.class, () -> fill.check(new Object[] {ptr, 0, 1f, 10}));
        assertTrue(order.getMessage().contains("parameter 2 is a 32-bit int but the launch passes a float"), order.getMessage());
        IllegalArgumentException width = assertThrows(IllegalArgumentException.class, () -> fill.check(new Object[] {ptr, 0L, 10, 1f}));
        assertTrue(width.getMessage().contains("parameter 1 is a 32-bit int but the launch passes a 64-bit"), width.getMessage());
        IllegalArgumentException ptrAsInt = assertThrows(IllegalArgumentException.class, () -> fill.check(new Object[] {0, 0, 10, 1f}));
        assertTrue(ptrAsInt.getMessage().contains("parameter 0 is a 64-bit pointer or long"), ptrAsInt.getMessage());
        PtxSignature copy = PtxSignature.parseAll(CudaRuntime.ptx(Kernels.ELEMENTWISE)).get("jq_copy_nd");
        IllegalArgumentException struct = assertThrows(IllegalArgumentException.class,
                () -> copy.check(new Object[] {new int[24], ptr, 0, ptr, 0, 1}));
        assertTrue(struct.getMessage().contains("100-byte struct but the launch passes a 96-byte struct"), struct.getMessage());
    }

    @Test
    void everyLaunchSiteMatchesItsKernel() {
        CudaBackend cuda = new CudaBackend();
        try (CudaDryRun dry = CudaDryRun.install(1L << 30)) {
            exerciseEveryBranch(cuda);
            Set<String> missing = new TreeSet<>();
            Kernels.ALL.values().forEach(missing::addAll);
            missing.removeAll(dry.launched().keySet());
            assertTrue(missing.isEmpty(), "kernels never launched by the dry run (their launch sites went unchecked): " + missing);
            assertTrue(cuda.kernelLaunches() > 0);
        }
    }

    private static Storage dev(CudaBackend b, int n) {
        return b.allocate(n);
    }

    /** Calls each backend method with shapes that take each of its code paths (values are irrelevant). */
    static void exerciseEveryBranch(CudaBackend b) {
        Storage x = dev(b, 4096);
        Storage y = dev(b, 4096);
        Storage g = dev(b, 4096);
        Storage gx = dev(b, 4096);
        // memory: flat copy (cuMemcpy), strided N-d copy, > 8 dims (peeled), fill zero (memset) and non-zero
        b.copy(new int[] {4, 8}, x, 0, new int[] {8, 1}, y, 0, new int[] {8, 1});
        b.copy(new int[] {4, 8}, x, 0, new int[] {1, 4}, y, 0, new int[] {8, 1});
        int[] nine = {2, 2, 2, 2, 2, 2, 2, 2, 2};
        int[] nineStrides = {1, 512, 2, 256, 4, 128, 8, 64, 16};
        b.copy(nine, x, 0, nineStrides, y, 0, CudaBackend.contiguousStrides(nine));
        b.fill(x, 0, 100, 0f);
        b.fill(x, 0, 100, 2f);
        // elementwise
        for (UnaryOp op : UnaryOp.values()) {
            b.unary(op, x, y, 100);
            b.unaryBackward(op, x, y, g, gx, 100);
        }
        b.unaryBackward(UnaryOp.RELU, x, null, g, gx, 100);
        b.clamp(x, y, 100, -1f, 1f);
        b.clampBackward(x, g, gx, 100, -1f, 1f);
        b.affine(x, y, 100, 2f, 1f);
        for (BinaryOp op : BinaryOp.values()) {
            b.binary(op, new int[] {10, 10}, x, 0, new int[] {10, 1}, y, 0, new int[] {10, 1}, g);
            b.binary(op, new int[] {10, 10}, x, 0, new int[] {10, 1}, y, 0, new int[] {0, 1}, g);
        }
        b.binary(BinaryOp.ADD, nine, x, 0, nineStrides, y, 0, CudaBackend.contiguousStrides(nine), g);
        // reductions: per row (inner 1, long rows) and strided
        for (ReduceOp op : ReduceOp.values()) {
            b.reduce(op, x, 4, 512, 1, y);
            b.reduce(op, x, 4, 10, 3, y);
        }
        b.argmax(x, 4, 10, 3, y);
        b.channelSum(x, 2, 3, 16, y);
        // GEMM: own kernel for every tile and transpose
        for (int[] mn : new int[][] {{64, 64}, {16, 64}, {64, 16}}) {
            for (int t = 0; t < 4; t++) {
                b.gemm((t & 2) != 0, (t & 1) != 0, mn[0], mn[1], 16, 1f, x, 0, (t & 2) != 0 ? mn[0] : 16,
                        y, 0, (t & 1) != 0 ? 16 : mn[1], 0f, g, 0, mn[1]);
            }
        }
        // softmax, row picks, gathers (deterministic and atomic backward)
        b.softmax(x, y, 8, 10, false);
        b.softmax(x, y, 8, 10, true);
        b.softmaxBackward(y, g, gx, 8, 10, true);
        b.pickRows(x, 4, 10, new int[] {1, 2, 3, 4}, y);
        b.scatterRows(g, 4, 10, new int[] {1, 2, 3, 4}, gx);
        b.gather(x, 2, 8, 3, new int[] {0, 1, 7}, 3, y);
        b.gatherBackward(g, 2, 8, 3, new int[] {0, 1, 7}, 3, gx);
        Storage big = dev(b, 400 * 400);
        Storage bigOut = dev(b, 400 * 400);
        int[] idx = new int[400];
        b.gatherBackward(big, 1, 400, 1, idx, 400, bigOut); // nIn·nOut > 65536 and nOut > 64: atomics
        // convolution (forward, both backwards), with and without bias and groups
        Conv2dShape cs = new Conv2dShape(2, 4, 8, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2);
        Storage w = dev(b, cs.weightSize());
        Storage bias = dev(b, 8);
        Storage cy = dev(b, 2 * 8 * 8 * 8);
        b.conv2d(cs, x, w, bias, cy);
        b.conv2d(cs, x, w, null, cy);
        b.conv2dBackwardData(cs, cy, w, gx);
        b.conv2dBackwardWeight(cs, x, cy, w);
        // pooling
        Pool2dShape ps = new Pool2dShape(8, 8, 8, 2, 2, 2, 2, 0, 0);
        b.maxPool2d(ps, x, y);
        b.maxPool2dBackward(ps, x, g, gx);
        b.avgPool2d(ps, x, y);
        b.avgPool2dBackward(ps, g, gx);
        // batch norm: train, eval, backward with and without gx and affine parameters
        Storage mean = dev(b, 4);
        Storage var = dev(b, 4);
        Storage inv = dev(b, 4);
        Storage gamma = dev(b, 4);
        Storage beta = dev(b, 4);
        b.batchNormTrain(x, 2, 4, 16, gamma, beta, 1e-5f, y, mean, var, inv);
        b.batchNormTrain(x, 2, 4, 16, null, null, 1e-5f, y, mean, var, inv);
        b.batchNormEval(x, 2, 4, 16, mean, var, gamma, beta, 1e-5f, y);
        b.batchNormBackward(x, g, 2, 4, 16, gamma, mean, inv, gx, gamma, beta);
        b.batchNormBackward(x, g, 2, 4, 16, null, mean, inv, null, gamma, null);
        // fake quantization: per tensor and per channel, with and without offset and parameter gradients
        FakeQuantShape fq = new FakeQuantShape(2, 4, 16, -8, 7, 0.1f, true);
        BitMask mask = b.allocateMask(fq.size());
        b.fakeQuantize(fq, x, gamma, null, y, mask);
        b.fakeQuantize(FakeQuantShape.perTensor(128, 0, 15, 1f, false), x, gamma, beta, y, mask);
        b.fakeQuantizeBackward(fq, x, g, gamma, null, mask, gx, gamma, null);
        b.fakeQuantizeBackward(fq, x, g, gamma, beta, mask, gx, null, null);
        mask.close();
        for (Storage s : new Storage[] {x, y, g, gx, big, bigOut, w, bias, cy, mean, var, inv, gamma, beta}) {
            s.close();
        }
    }
}
