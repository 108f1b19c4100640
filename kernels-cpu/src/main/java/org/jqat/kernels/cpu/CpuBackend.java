package org.jqat.kernels.cpu;

import java.util.Arrays;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.Device;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapBitMask;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Pool2dShape;
import org.jqat.core.backend.ReduceOp;
import org.jqat.core.backend.ReferenceBackend;
import org.jqat.core.backend.Storage;
import org.jqat.core.backend.UnaryOp;
import org.jqat.core.backend.VectorApi;

/**
 * The SIMD, multithreaded host backend: {@code jdk.incubator.vector} kernels over heap arrays,
 * run on a shared {@link WorkerPool}. Kernels live in small single-purpose classes; this class
 * only unwraps storages and dispatches. The few ops that are rare and tiny (row picks, gathers)
 * reuse the scalar reference code, which is already optimal for their access pattern.
 */
public final class CpuBackend implements Backend {
    private final ReferenceBackend scalar = new ReferenceBackend();

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public int priority() {
        return 10;
    }

    /**
     * Why the Vector API kernels cannot run: on the class path without
     * {@code --add-modules jdk.incubator.vector} ({@link Backends#cpu()} then takes the reference
     * backend, with one warning).
     */
    @Override
    public String unavailableReason() {
        return VectorApi.unavailableReason();
    }

    /**
     * Queues the task for an idle pool worker (see {@link WorkerPool#submit}): a worker that would
     * otherwise wait 0.1–0.2 ms to be woken for each short loop of a backward pass computes weight
     * gradients instead, while the caller runs the pass's other ops.
     */
    @Override
    public void submit(Runnable task) {
        WorkerPool.SHARED.submit(task);
    }

    @Override
    public void awaitSubmitted() {
        WorkerPool.SHARED.awaitBackground();
    }

    @Override
    public String describe() {
        if (!VectorApi.available()) {
            return "cpu: unavailable (" + VectorApi.unavailableReason() + ")";
        }
        return "cpu: Vector API " + VectorConfig.F.vectorBitSize() + "-bit (" + VectorConfig.LANES + " floats), "
                + WorkerPool.SHARED.threads() + " threads";
    }

    private static float[] orNull(Storage s) {
        return s == null ? null : HeapStorage.of(s);
    }

    // ---- memory ---------------------------------------------------------------------------

    // Host memory is the same for every CPU backend.

    /** From the {@link HeapPool}: arrays of a finished step's tensors are reused by the next. */
    @Override
    public Storage allocate(int size) {
        return HeapPool.SHARED.allocate(size);
    }

    @Override
    public Storage allocateUninitialized(int size) {
        return HeapPool.SHARED.allocate(size, false);
    }

    @Override
    public Storage upload(float[] data) {
        return scalar.upload(data);
    }

    @Override
    public float[] download(Storage s, int offset, int count) {
        return scalar.download(s, offset, count);
    }

    @Override
    public void copy(int[] shape, Storage src, int srcOffset, int[] srcStrides,
                     Storage dst, int dstOffset, int[] dstStrides) {
        StridedKernels.copy(shape, HeapStorage.of(src), srcOffset, srcStrides, HeapStorage.of(dst), dstOffset, dstStrides);
    }

    @Override
    public void fill(Storage dst, int offset, int count, float value) {
        Arrays.fill(HeapStorage.of(dst), offset, offset + count, value);
    }

    // ---- elementwise ----------------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, Storage x, Storage y, int n) {
        ElementwiseKernels.unary(op, HeapStorage.of(x), HeapStorage.of(y), n);
    }

    @Override
    public void unaryBackward(UnaryOp op, Storage x, Storage y, Storage gy, Storage gx, int n) {
        ElementwiseKernels.unaryBackward(op, HeapStorage.of(x), y == null ? null : HeapStorage.of(y), HeapStorage.of(gy), HeapStorage.of(gx), n);
    }

    @Override
    public void clamp(Storage x, Storage y, int n, float lo, float hi) {
        ElementwiseKernels.clamp(HeapStorage.of(x), HeapStorage.of(y), n, lo, hi);
    }

    @Override
    public void clampBackward(Storage x, Storage gy, Storage gx, int n, float lo, float hi) {
        ElementwiseKernels.clampBackward(HeapStorage.of(x), HeapStorage.of(gy), HeapStorage.of(gx), n, lo, hi);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, Storage a, int aOffset, int[] aStrides,
                       Storage b, int bOffset, int[] bStrides, Storage out) {
        StridedKernels.binary(op, shape, HeapStorage.of(a), aOffset, aStrides, HeapStorage.of(b), bOffset, bStrides, HeapStorage.of(out));
    }

    @Override
    public void affine(Storage x, Storage y, int n, float scale, float shift) {
        ElementwiseKernels.affine(HeapStorage.of(x), HeapStorage.of(y), n, scale, shift);
    }

    // ---- reductions -----------------------------------------------------------------------

    @Override
    public void reduce(ReduceOp op, Storage x, int outer, int n, int inner, Storage out) {
        Reductions.reduce(op, HeapStorage.of(x), outer, n, inner, HeapStorage.of(out));
    }

    @Override
    public void argmax(Storage x, int outer, int n, int inner, Storage out) {
        scalar.argmax(x, outer, n, inner, out);
    }

    @Override
    public void channelSum(Storage x, int n, int c, int hw, Storage out) {
        Reductions.channelSum(HeapStorage.of(x), n, c, hw, HeapStorage.of(out));
    }

    // ---- linear algebra -------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                     float beta, Storage c, int cOffset, int ldc) {
        Gemm.gemm(transA, transB, m, n, k, alpha, HeapStorage.of(a), aOffset, lda,
                HeapStorage.of(b), bOffset, ldb, beta, HeapStorage.of(c), cOffset, ldc);
    }

    // ---- softmax --------------------------------------------------------------------------

    @Override
    public void softmax(Storage x, Storage y, int rows, int cols, boolean log) {
        scalar.softmax(x, y, rows, cols, log);
    }

    @Override
    public void softmaxBackward(Storage y, Storage gy, Storage gx, int rows, int cols, boolean log) {
        scalar.softmaxBackward(y, gy, gx, rows, cols, log);
    }

    @Override
    public void pickRows(Storage x, int rows, int cols, int[] index, Storage out) {
        scalar.pickRows(x, rows, cols, index, out);
    }

    @Override
    public void scatterRows(Storage g, int rows, int cols, int[] index, Storage gx) {
        scalar.scatterRows(g, rows, cols, index, gx);
    }

    @Override
    public void gather(Storage x, int outer, int nIn, int inner, int[] index, int nOut, Storage out) {
        scalar.gather(x, outer, nIn, inner, index, nOut, out);
    }

    @Override
    public void gatherBackward(Storage g, int outer, int nIn, int inner, int[] index, int nOut, Storage gx) {
        scalar.gatherBackward(g, outer, nIn, inner, index, nOut, gx);
    }

    // ---- convolution ----------------------------------------------------------------------

    @Override
    public void conv2d(Conv2dShape s, Storage x, Storage w, Storage bias, Storage y) {
        Conv2dKernels.forward(s, HeapStorage.of(x), HeapStorage.of(w), bias == null ? null : HeapStorage.of(bias), HeapStorage.of(y));
    }

    @Override
    public void conv2dFused(Conv2dShape s, Storage x, Storage w, Storage bias, Storage residual, boolean relu, Storage y) {
        Conv2dKernels.forwardFused(s, HeapStorage.of(x), HeapStorage.of(w), w.isConstant(), orNull(bias), orNull(residual), relu,
                HeapStorage.of(y));
    }

    /** Direct layers quantize the input while laying it out; others take the unfused default. */
    @Override
    public void conv2dFakeQuantInput(Conv2dShape s, FakeQuantShape q, Storage x, Storage scale, Storage offset,
                                     Storage w, Storage bias, Storage y) {
        if (!Conv2dKernels.direct(s)) {
            Backend.super.conv2dFakeQuantInput(s, q, x, scale, offset, w, bias, y);
            return;
        }
        DirectConv.InputQuant iq = new DirectConv.InputQuant(HeapStorage.of(scale)[0],
                offset == null ? 0f : HeapStorage.of(offset)[0], q.qmin(), q.qmax());
        Conv2dKernels.forwardQuantized(s, HeapStorage.of(x), HeapStorage.of(w), orNull(bias), iq, HeapStorage.of(y));
    }

    /**
     * Direct layers never materialise fq(x) or its mask: the data gradient goes through the mask
     * recomputed from x, and the weight gradient quantizes x while laying it out.
     */
    @Override
    public void conv2dFakeQuantInputBackward(Conv2dShape s, FakeQuantShape q, Storage x, Storage scale, Storage offset,
                                             Storage w, Storage gy, Storage gx, Storage gScale, Storage gOffset,
                                             Storage gw) {
        if (!Conv2dKernels.direct(s)) {
            Backend.super.conv2dFakeQuantInputBackward(s, q, x, scale, offset, w, gy, gx, gScale, gOffset, gw);
            return;
        }
        if (gx != null || gScale != null || gOffset != null) {
            try (Storage gxq = allocateUninitialized(q.size())) {
                conv2dBackwardData(s, gy, w, gxq);
                FakeQuantKernels.backward(q, HeapStorage.of(x), HeapStorage.of(gxq), HeapStorage.of(scale), orNull(offset),
                        null, orNull(gx), orNull(gScale), orNull(gOffset));
            }
        }
        if (gw != null) {
            DirectConv.InputQuant iq = new DirectConv.InputQuant(HeapStorage.of(scale)[0],
                    offset == null ? 0f : HeapStorage.of(offset)[0], q.qmin(), q.qmax());
            DirectConv.backwardWeight(s, HeapStorage.of(x), HeapStorage.of(gy), HeapStorage.of(gw), iq);
        }
    }

    @Override
    public void conv2dBackwardData(Conv2dShape s, Storage gy, Storage w, Storage gx) {
        Conv2dKernels.backwardData(s, HeapStorage.of(gy), HeapStorage.of(w), HeapStorage.of(gx));
    }

    @Override
    public void conv2dBackwardWeight(Conv2dShape s, Storage x, Storage gy, Storage gw) {
        Conv2dKernels.backwardWeight(s, HeapStorage.of(x), HeapStorage.of(gy), HeapStorage.of(gw));
    }

    // ---- pooling --------------------------------------------------------------------------

    @Override
    public void maxPool2d(Pool2dShape s, Storage x, Storage y) {
        PoolKernels.maxForward(s, HeapStorage.of(x), HeapStorage.of(y));
    }

    @Override
    public void maxPool2dBackward(Pool2dShape s, Storage x, Storage gy, Storage gx) {
        PoolKernels.maxBackward(s, HeapStorage.of(x), HeapStorage.of(gy), HeapStorage.of(gx));
    }

    @Override
    public void avgPool2d(Pool2dShape s, Storage x, Storage y) {
        PoolKernels.avgForward(s, HeapStorage.of(x), HeapStorage.of(y));
    }

    @Override
    public void avgPool2dBackward(Pool2dShape s, Storage gy, Storage gx) {
        PoolKernels.avgBackward(s, HeapStorage.of(gy), HeapStorage.of(gx));
    }

    // ---- batch normalisation --------------------------------------------------------------

    @Override
    public void batchNormTrain(Storage x, int n, int c, int hw, Storage gamma, Storage beta, float eps,
                               Storage y, Storage mean, Storage var, Storage invStd) {
        BatchNormKernels.train(HeapStorage.of(x), null, false, n, c, hw, orNull(gamma), orNull(beta), eps,
                HeapStorage.of(y), HeapStorage.of(mean), HeapStorage.of(var), HeapStorage.of(invStd));
    }

    @Override
    public void batchNormEval(Storage x, int n, int c, int hw, Storage mean, Storage var,
                              Storage gamma, Storage beta, float eps, Storage y) {
        BatchNormKernels.eval(HeapStorage.of(x), null, false, n, c, hw, HeapStorage.of(mean), HeapStorage.of(var),
                orNull(gamma), orNull(beta), eps, HeapStorage.of(y));
    }

    @Override
    public void batchNormBackward(Storage x, Storage gy, int n, int c, int hw, Storage gamma,
                                  Storage mean, Storage invStd, Storage gx, Storage gGamma, Storage gBeta) {
        BatchNormKernels.backward(HeapStorage.of(x), null, HeapStorage.of(gy), n, c, hw, orNull(gamma),
                HeapStorage.of(mean), HeapStorage.of(invStd), null, orNull(gx), orNull(gGamma), orNull(gBeta));
    }

    @Override
    public void batchNormReluTrain(Storage x, Storage residual, int n, int c, int hw, Storage gamma, Storage beta,
                                   float eps, Storage y, Storage mean, Storage var, Storage invStd) {
        BatchNormKernels.train(HeapStorage.of(x), orNull(residual), true, n, c, hw, orNull(gamma), orNull(beta), eps,
                HeapStorage.of(y), HeapStorage.of(mean), HeapStorage.of(var), HeapStorage.of(invStd));
    }

    @Override
    public void batchNormReluEval(Storage x, Storage residual, int n, int c, int hw, Storage mean, Storage var,
                                  Storage gamma, Storage beta, float eps, Storage y) {
        BatchNormKernels.eval(HeapStorage.of(x), orNull(residual), true, n, c, hw, HeapStorage.of(mean),
                HeapStorage.of(var), orNull(gamma), orNull(beta), eps, HeapStorage.of(y));
    }

    @Override
    public void batchNormReluBackward(Storage x, Storage y, Storage gy, int n, int c, int hw, Storage gamma,
                                      Storage mean, Storage invStd, Storage gPre, Storage gx, Storage gGamma,
                                      Storage gBeta) {
        BatchNormKernels.backward(HeapStorage.of(x), HeapStorage.of(y), HeapStorage.of(gy), n, c, hw, orNull(gamma),
                HeapStorage.of(mean), HeapStorage.of(invStd), orNull(gPre), orNull(gx), orNull(gGamma), orNull(gBeta));
    }

    // ---- fake quantization ----------------------------------------------------------------

    @Override
    public BitMask allocateMask(int size) {
        return new HeapBitMask(size);
    }

    @Override
    public void fakeQuantize(FakeQuantShape s, Storage x, Storage scale, Storage offset, Storage y, BitMask mask) {
        FakeQuantKernels.forward(s, HeapStorage.of(x), HeapStorage.of(scale), orNull(offset), HeapStorage.of(y),
                HeapBitMask.of(mask));
    }

    @Override
    public void fakeQuantizeBackward(FakeQuantShape s, Storage x, Storage gy, Storage scale, Storage offset, BitMask mask,
                                     Storage gx, Storage gScale, Storage gOffset) {
        FakeQuantKernels.backward(s, HeapStorage.of(x), HeapStorage.of(gy), HeapStorage.of(scale), orNull(offset),
                HeapBitMask.of(mask), orNull(gx), orNull(gScale), orNull(gOffset));
    }
}
