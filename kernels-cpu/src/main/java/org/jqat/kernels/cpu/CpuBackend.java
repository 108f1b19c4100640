package org.jqat.kernels.cpu;

import java.util.Arrays;
import org.jqat.core.backend.Backend;
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

    @Override
    public String describe() {
        return "cpu: Vector API " + VectorConfig.F.vectorBitSize() + "-bit (" + VectorConfig.LANES + " floats), "
                + WorkerPool.SHARED.threads() + " threads";
    }

    // ---- memory ---------------------------------------------------------------------------

    @Override
    public Storage allocate(int size) {
        return new HeapStorage(size);
    }

    @Override
    public Storage upload(float[] data) {
        return new HeapStorage(data.clone());
    }

    @Override
    public float[] download(Storage s, int offset, int count) {
        return Arrays.copyOfRange(HeapStorage.of(s), offset, offset + count);
    }

    @Override
    public void copy(int[] shape, Storage src, int srcOffset, int[] srcStrides,
                     Storage dst, int dstOffset, int[] dstStrides) {
        scalar.copy(shape, src, srcOffset, srcStrides, dst, dstOffset, dstStrides);
    }

    @Override
    public void fill(Storage dst, int offset, int count, float value) {
        Arrays.fill(HeapStorage.of(dst), offset, offset + count, value);
    }

    // ---- elementwise ----------------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, Storage x, Storage y, int n) {
        scalar.unary(op, x, y, n);
    }

    @Override
    public void unaryBackward(UnaryOp op, Storage x, Storage y, Storage gy, Storage gx, int n) {
        scalar.unaryBackward(op, x, y, gy, gx, n);
    }

    @Override
    public void clamp(Storage x, Storage y, int n, float lo, float hi) {
        scalar.clamp(x, y, n, lo, hi);
    }

    @Override
    public void clampBackward(Storage x, Storage gy, Storage gx, int n, float lo, float hi) {
        scalar.clampBackward(x, gy, gx, n, lo, hi);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, Storage a, int aOffset, int[] aStrides,
                       Storage b, int bOffset, int[] bStrides, Storage out) {
        scalar.binary(op, shape, a, aOffset, aStrides, b, bOffset, bStrides, out);
    }

    @Override
    public void affine(Storage x, Storage y, int n, float scale, float shift) {
        scalar.affine(x, y, n, scale, shift);
    }

    // ---- reductions -----------------------------------------------------------------------

    @Override
    public void reduce(ReduceOp op, Storage x, int outer, int n, int inner, Storage out) {
        scalar.reduce(op, x, outer, n, inner, out);
    }

    @Override
    public void argmax(Storage x, int outer, int n, int inner, Storage out) {
        scalar.argmax(x, outer, n, inner, out);
    }

    @Override
    public void channelSum(Storage x, int n, int c, int hw, Storage out) {
        scalar.channelSum(x, n, c, hw, out);
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
        scalar.conv2d(s, x, w, bias, y);
    }

    @Override
    public void conv2dBackwardData(Conv2dShape s, Storage gy, Storage w, Storage gx) {
        scalar.conv2dBackwardData(s, gy, w, gx);
    }

    @Override
    public void conv2dBackwardWeight(Conv2dShape s, Storage x, Storage gy, Storage gw) {
        scalar.conv2dBackwardWeight(s, x, gy, gw);
    }

    // ---- pooling --------------------------------------------------------------------------

    @Override
    public void maxPool2d(Pool2dShape s, Storage x, Storage y) {
        scalar.maxPool2d(s, x, y);
    }

    @Override
    public void maxPool2dBackward(Pool2dShape s, Storage x, Storage gy, Storage gx) {
        scalar.maxPool2dBackward(s, x, gy, gx);
    }

    @Override
    public void avgPool2d(Pool2dShape s, Storage x, Storage y) {
        scalar.avgPool2d(s, x, y);
    }

    @Override
    public void avgPool2dBackward(Pool2dShape s, Storage gy, Storage gx) {
        scalar.avgPool2dBackward(s, gy, gx);
    }

    // ---- batch normalisation --------------------------------------------------------------

    @Override
    public void batchNormTrain(Storage x, int n, int c, int hw, Storage gamma, Storage beta, float eps,
                               Storage y, Storage mean, Storage var, Storage invStd) {
        scalar.batchNormTrain(x, n, c, hw, gamma, beta, eps, y, mean, var, invStd);
    }

    @Override
    public void batchNormEval(Storage x, int n, int c, int hw, Storage mean, Storage var,
                              Storage gamma, Storage beta, float eps, Storage y) {
        scalar.batchNormEval(x, n, c, hw, mean, var, gamma, beta, eps, y);
    }

    @Override
    public void batchNormBackward(Storage x, Storage gy, int n, int c, int hw, Storage gamma,
                                  Storage mean, Storage invStd, Storage gx, Storage gGamma, Storage gBeta) {
        scalar.batchNormBackward(x, gy, n, c, hw, gamma, mean, invStd, gx, gGamma, gBeta);
    }

    // ---- fake quantization ----------------------------------------------------------------

    @Override
    public BitMask allocateMask(int size) {
        return new HeapBitMask(size);
    }

    @Override
    public void fakeQuantize(FakeQuantShape s, Storage x, Storage scale, Storage offset, Storage y, BitMask mask) {
        scalar.fakeQuantize(s, x, scale, offset, y, mask);
    }

    @Override
    public void fakeQuantizeBackward(FakeQuantShape s, Storage x, Storage gy, Storage scale, Storage offset, BitMask mask,
                                     Storage gx, Storage gScale, Storage gOffset) {
        scalar.fakeQuantizeBackward(s, x, gy, scale, offset, mask, gx, gScale, gOffset);
    }
}
