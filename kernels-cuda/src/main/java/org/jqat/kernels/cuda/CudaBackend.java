package org.jqat.kernels.cuda;

import static org.jqat.kernels.cuda.Kernels.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.Device;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.Pool2dShape;
import org.jqat.core.backend.ReduceOp;
import org.jqat.core.backend.Storage;
import org.jqat.core.backend.UnaryOp;

/**
 * The CUDA backend: JCuda's driver API, hand-written kernels loaded as PTX
 * ({@code src/main/cuda/*.cu}), one stream, a caching allocator, and cuBLAS for GEMM when
 * {@code libcublas.so.12} loads (else an own tiled SGEMM).
 *
 * <p>Construction does nothing; the first {@link #unavailableReason()} (or kernel call) probes
 * the driver once and never throws. Kernels are queued asynchronously on the stream; only
 * {@link #download} (and {@link CudaBitMask#get}) wait.
 */
public final class CudaBackend implements Backend {
    /** Floats of im2col workspace per convolution chunk (the batch is split to stay under it). */
    private static final long CONV_WORKSPACE_FLOATS = 64L << 20;
    /** Elements per block in the two-pass per-channel reductions (fake-quant, batch norm). */
    private static final int CHUNK = 4096;
    /** Above this nIn·nOut the gather backward uses atomics (fast but not deterministic). */
    private static final long GATHER_DETERMINISTIC_LIMIT = 1L << 16;

    public CudaBackend() {
        // Nothing here: ServiceLoader builds every backend, GPU or not.
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    @Override
    public int priority() {
        return 20;
    }

    @Override
    public String unavailableReason() {
        try {
            return CudaProbe.get().reason();
        } catch (Throwable t) {
            return "CUDA probe failed: " + t;
        }
    }

    @Override
    public String describe() {
        String why = unavailableReason();
        if (why != null) {
            return "cuda: unavailable (" + why + ")";
        }
        CudaRuntime rt = rt();
        CublasGemm.Probe cb = cublas();
        String gemm = cb.gemm() != null
                ? "cuBLAS " + CublasGemm.versionString(cb.gemm().version)
                : "own tiled kernel (" + cb.reason() + ")";
        return String.format(Locale.ROOT, "cuda: %s (sm_%d), %.0f GiB, %d SMs, driver %d.%d, GEMM: %s",
                rt.deviceName(), rt.computeCapability(), rt.totalMemory() / (double) (1L << 30), rt.smCount(),
                rt.driverVersion() / 1000, rt.driverVersion() % 1000 / 10, gemm);
    }

    /** Whether GEMM goes to cuBLAS. */
    public boolean usesCublas() {
        return cublas().gemm() != null;
    }

    /** The caching allocator's counters (live / cached blocks and bytes, driver calls). */
    public CudaAllocator.Stats allocatorStats() {
        return rt().allocator.stats();
    }

    /** Returns every cached block to the driver. */
    public void emptyCache() {
        rt().allocator.releaseCached();
    }

    /** Waits until every queued kernel and copy finished. */
    public void synchronize() {
        rt().synchronize();
    }

    /**
     * Times the host has waited for the device so far: every download ({@code item()},
     * {@code toFloatArray()}, a mask read) and every {@link #synchronize()}. Tests count them per
     * training step.
     */
    public long hostSyncs() {
        return rt().hostSyncs();
    }

    /** Kernels launched so far (each checked against its PTX parameter list first). */
    public long kernelLaunches() {
        return rt().launches();
    }

    private CudaRuntime rt() {
        CudaProbe.Result r = CudaProbe.get();
        if (r.runtime() == null) {
            throw new IllegalStateException("CUDA backend is not available: " + r.reason());
        }
        CudaRuntime rt = r.runtime();
        rt.enter();
        return rt;
    }

    private CublasGemm.Probe cublas() {
        return rt().cublas();
    }

    private static CudaStorage dev(Storage s) {
        return CudaStorage.of(s);
    }

    private static CudaStorage devOrNull(Storage s) {
        return s == null ? null : CudaStorage.of(s);
    }

    // ---- memory ---------------------------------------------------------------------------

    @Override
    public Storage allocate(int size) {
        CudaRuntime rt = rt();
        CudaStorage s = new CudaStorage(rt.allocator, size);
        rt.memsetZero(s.ptr(), 0, size);
        return s;
    }

    /** Storage with undefined contents, for outputs a kernel overwrites. */
    CudaStorage allocateUninitialised(int size) {
        return new CudaStorage(rt().allocator, size);
    }

    @Override
    public Storage upload(float[] data) {
        CudaRuntime rt = rt();
        CudaStorage s = new CudaStorage(rt.allocator, data.length);
        rt.upload(data, 0, s.ptr(), 0, data.length);
        return s;
    }

    @Override
    public float[] download(Storage s, int offset, int count) {
        float[] out = new float[count];
        if (count > 0) {
            rt().download(dev(s).ptr(), offset, out, 0, count);
        }
        return out;
    }

    /** Index array on the device (ints), from the allocator; close after use. */
    private CudaStorage uploadInts(int[] index) {
        CudaRuntime rt = rt();
        CudaStorage s = new CudaStorage(rt.allocator, index.length);
        rt.upload(index, s.ptr(), index.length);
        return s;
    }

    /** Shapes and strides with size-1 axes dropped and mergeable neighbours merged. */
    record Coalesced(int[] shape, int[][] strides) {
        int[] packed() {
            int[] p = new int[1 + 3 * 8];
            p[0] = shape.length;
            for (int d = 0; d < shape.length; d++) {
                p[1 + d] = shape[d];
                p[9 + d] = strides[0][d];
                p[17 + d] = strides.length > 1 ? strides[1][d] : 0;
            }
            return p;
        }
    }

    static Coalesced coalesce(int[] shape, int[]... strides) {
        List<int[]> dims = new ArrayList<>(); // {size, stride0, stride1, ...}
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            int[] e = new int[1 + strides.length];
            e[0] = shape[d];
            for (int k = 0; k < strides.length; k++) {
                e[1 + k] = strides[k][d];
            }
            if (!dims.isEmpty()) {
                int[] prev = dims.get(dims.size() - 1);
                boolean merge = true;
                for (int k = 0; k < strides.length; k++) {
                    merge &= (long) prev[1 + k] == (long) e[1 + k] * e[0];
                }
                if (merge) {
                    prev[0] *= e[0];
                    for (int k = 0; k < strides.length; k++) {
                        prev[1 + k] = e[1 + k];
                    }
                    continue;
                }
            }
            dims.add(e);
        }
        int r = dims.size();
        int[] sh = new int[r];
        int[][] st = new int[strides.length][r];
        for (int d = 0; d < r; d++) {
            sh[d] = dims.get(d)[0];
            for (int k = 0; k < strides.length; k++) {
                st[k][d] = dims.get(d)[1 + k];
            }
        }
        return new Coalesced(sh, st);
    }

    static int[] contiguousStrides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public void copy(int[] shape, Storage src, int srcOffset, int[] srcStrides,
                     Storage dst, int dstOffset, int[] dstStrides) {
        long total = numel(shape);
        if (total == 0) {
            return;
        }
        CudaRuntime rt = rt();
        Coalesced c = coalesce(shape, srcStrides, dstStrides);
        int r = c.shape().length;
        if (r == 0 || (r == 1 && c.strides()[0][0] == 1 && c.strides()[1][0] == 1)) {
            rt.copyDeviceToDevice(dev(src).ptr(), srcOffset, dev(dst).ptr(), dstOffset, total);
            return;
        }
        if (r > 8) {
            // Rare: peel the outermost axis until the view fits the kernel's 8 dimensions.
            int[] inner = java.util.Arrays.copyOfRange(c.shape(), 1, r);
            int[] sIn = java.util.Arrays.copyOfRange(c.strides()[0], 1, r);
            int[] dIn = java.util.Arrays.copyOfRange(c.strides()[1], 1, r);
            for (int i = 0; i < c.shape()[0]; i++) {
                copy(inner, src, srcOffset + i * c.strides()[0][0], sIn, dst, dstOffset + i * c.strides()[1][0], dIn);
            }
            return;
        }
        rt.launch1d(ELEMENTWISE, "jq_copy_nd", total, c.packed(), dev(src), srcOffset, dev(dst), dstOffset, (int) total);
    }

    @Override
    public void fill(Storage dst, int offset, int count, float value) {
        if (count <= 0) {
            return;
        }
        CudaRuntime rt = rt();
        if (Float.floatToRawIntBits(value) == 0) {
            rt.memsetZero(dev(dst).ptr(), offset, count);
        } else {
            rt.launch1d(ELEMENTWISE, "jq_fill", count, dev(dst), offset, count, value);
        }
    }

    // ---- elementwise ----------------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, Storage x, Storage y, int n) {
        rt().launch1d(ELEMENTWISE, "jq_unary", n, op.ordinal(), dev(x), dev(y), n);
    }

    @Override
    public void unaryBackward(UnaryOp op, Storage x, Storage y, Storage gy, Storage gx, int n) {
        rt().launch1d(ELEMENTWISE, "jq_unary_backward", n, op.ordinal(), dev(x), devOrNull(y), dev(gy), dev(gx), n);
    }

    @Override
    public void clamp(Storage x, Storage y, int n, float lo, float hi) {
        rt().launch1d(ELEMENTWISE, "jq_clamp", n, dev(x), dev(y), n, lo, hi);
    }

    @Override
    public void clampBackward(Storage x, Storage gy, Storage gx, int n, float lo, float hi) {
        rt().launch1d(ELEMENTWISE, "jq_clamp_backward", n, dev(x), dev(gy), dev(gx), n, lo, hi);
    }

    @Override
    public void binary(BinaryOp op, int[] shape, Storage a, int aOffset, int[] aStrides,
                       Storage b, int bOffset, int[] bStrides, Storage out) {
        long total = numel(shape);
        if (total == 0) {
            return;
        }
        CudaRuntime rt = rt();
        int[] cs = contiguousStrides(shape);
        Coalesced c = coalesce(shape, aStrides, bStrides, cs);
        int r = c.shape().length;
        boolean flat = r == 0 || (r == 1 && c.strides()[0][0] == 1 && c.strides()[1][0] == 1);
        if (flat) {
            rt.launch1d(ELEMENTWISE, "jq_binary_flat", total, op.ordinal(), dev(a), aOffset, dev(b), bOffset, dev(out), (int) total);
            return;
        }
        if (r > 8) {
            // Peel the outermost axis (out is contiguous, so its stride is the rest's size).
            int[] inner = java.util.Arrays.copyOfRange(c.shape(), 1, r);
            int[] aIn = java.util.Arrays.copyOfRange(c.strides()[0], 1, r);
            int[] bIn = java.util.Arrays.copyOfRange(c.strides()[1], 1, r);
            int innerN = (int) numel(inner);
            CudaStorage tmp = allocateUninitialised(innerN);
            try {
                for (int i = 0; i < c.shape()[0]; i++) {
                    binary(op, inner, a, aOffset + i * c.strides()[0][0], aIn, b, bOffset + i * c.strides()[1][0], bIn, tmp);
                    rt.copyDeviceToDevice(tmp.ptr(), 0, dev(out).ptr(), (long) i * innerN, innerN);
                }
            } finally {
                tmp.close();
            }
            return;
        }
        Coalesced ab = new Coalesced(c.shape(), new int[][] {c.strides()[0], c.strides()[1]});
        rt.launch1d(ELEMENTWISE, "jq_binary_nd", total, op.ordinal(), ab.packed(), dev(a), aOffset, dev(b), bOffset,
                dev(out), (int) total);
    }

    @Override
    public void affine(Storage x, Storage y, int n, float scale, float shift) {
        rt().launch1d(ELEMENTWISE, "jq_affine", n, dev(x), dev(y), n, scale, shift);
    }

    // ---- reductions -----------------------------------------------------------------------

    @Override
    public void reduce(ReduceOp op, Storage x, int outer, int n, int inner, Storage out) {
        long outputs = (long) outer * inner;
        if (outputs == 0) {
            return;
        }
        CudaRuntime rt = rt();
        if (inner == 1 && n >= 256) {
            rt.launch(REDUCE, "jq_reduce_rows", (int) Math.min(outer, 65535), 1, CudaRuntime.BLOCK,
                    op.ordinal(), dev(x), outer, n, dev(out));
        } else {
            rt.launch1d(REDUCE, "jq_reduce_strided", outputs, op.ordinal(), dev(x), outer, n, inner, dev(out));
        }
    }

    @Override
    public void argmax(Storage x, int outer, int n, int inner, Storage out) {
        if (n == 0) {
            fill(out, 0, outer * inner, 0f);
            return;
        }
        rt().launch1d(REDUCE, "jq_argmax", (long) outer * inner, dev(x), outer, n, inner, dev(out));
    }

    @Override
    public void channelSum(Storage x, int n, int c, int hw, Storage out) {
        if (c == 0) {
            return;
        }
        rt().launch(REDUCE, "jq_channel_sum", Math.min(c, 65535), 1, CudaRuntime.BLOCK, dev(x), n, c, hw, dev(out));
    }

    // ---- linear algebra -------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                     float beta, Storage c, int cOffset, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        CublasGemm cb = cublas().gemm();
        if (cb != null && CublasGemm.accepts(transA, transB, m, n, k, lda, ldb, ldc)) {
            rt();
            cb.sgemm(transA, transB, m, n, k, alpha, dev(a), aOffset, lda, dev(b), bOffset, ldb, beta, dev(c), cOffset, ldc);
        } else {
            gemmOwn(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
        }
    }

    /** The hand-written tiled SGEMM, whatever cuBLAS's availability (tests call it directly). */
    void gemmOwn(boolean transA, boolean transB, int m, int n, int k, float alpha,
                 Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                 float beta, Storage c, int cOffset, int ldc) {
        if (m == 0 || n == 0) {
            return;
        }
        CudaRuntime rt = rt();
        String tile;
        int bm;
        int bn;
        if (m <= 32) {
            tile = "32x128";
            bm = 32;
            bn = 128;
        } else if (n <= 32) {
            tile = "128x32";
            bm = 128;
            bn = 32;
        } else {
            tile = "128x128";
            bm = 128;
            bn = 128;
        }
        String kernel = Kernels.gemm(tile, transA, transB);
        int gridX = (n + bn - 1) / bn;
        // grid.y is limited to 65535 blocks: split very tall problems into row bands.
        int rowsPerLaunch = 65535 * bm;
        for (int r0 = 0; r0 < m; r0 += rowsPerLaunch) {
            int rows = Math.min(rowsPerLaunch, m - r0);
            int aOff = aOffset + (transA ? r0 : r0 * lda);
            rt.launch(GEMM, kernel, gridX, (rows + bm - 1) / bm, 256,
                    rows, n, k, alpha, dev(a), aOff, lda, dev(b), bOffset, ldb, beta, dev(c), cOffset + r0 * ldc, ldc);
        }
    }

    // ---- softmax --------------------------------------------------------------------------

    private static final int SOFTMAX_WARPS = 8;

    @Override
    public void softmax(Storage x, Storage y, int rows, int cols, boolean log) {
        if (rows == 0 || cols == 0) {
            return;
        }
        rt().launch(REDUCE, "jq_softmax", (int) Math.min((rows + SOFTMAX_WARPS - 1) / SOFTMAX_WARPS, 1 << 20), 1,
                32 * SOFTMAX_WARPS, dev(x), dev(y), rows, cols, log ? 1 : 0);
    }

    @Override
    public void softmaxBackward(Storage y, Storage gy, Storage gx, int rows, int cols, boolean log) {
        if (rows == 0 || cols == 0) {
            return;
        }
        rt().launch(REDUCE, "jq_softmax_backward", (int) Math.min((rows + SOFTMAX_WARPS - 1) / SOFTMAX_WARPS, 1 << 20), 1,
                32 * SOFTMAX_WARPS, dev(y), dev(gy), dev(gx), rows, cols, log ? 1 : 0);
    }

    @Override
    public void pickRows(Storage x, int rows, int cols, int[] index, Storage out) {
        if (rows == 0) {
            return;
        }
        try (CudaStorage idx = uploadInts(index)) {
            rt().launch1d(REDUCE, "jq_pick_rows", rows, dev(x), rows, cols, idx, dev(out));
        }
    }

    @Override
    public void scatterRows(Storage g, int rows, int cols, int[] index, Storage gx) {
        if (rows == 0) {
            return;
        }
        try (CudaStorage idx = uploadInts(index)) {
            rt().launch1d(REDUCE, "jq_scatter_rows", rows, dev(g), rows, cols, idx, dev(gx));
        }
    }

    @Override
    public void gather(Storage x, int outer, int nIn, int inner, int[] index, int nOut, Storage out) {
        long total = (long) outer * nOut * inner;
        if (total == 0) {
            return;
        }
        try (CudaStorage idx = uploadInts(index)) {
            rt().launch1d(REDUCE, "jq_gather", total, dev(x), outer, nIn, inner, idx, nOut, dev(out));
        }
    }

    @Override
    public void gatherBackward(Storage g, int outer, int nIn, int inner, int[] index, int nOut, Storage gx) {
        long total = (long) outer * nOut * inner;
        if (total == 0) {
            return;
        }
        try (CudaStorage idx = uploadInts(index)) {
            if ((long) nIn * nOut <= GATHER_DETERMINISTIC_LIMIT || nOut <= 64) {
                rt().launch1d(REDUCE, "jq_gather_backward_det", (long) outer * nIn * inner, dev(g), outer, nIn, inner, idx, nOut, dev(gx));
            } else {
                rt().launch1d(REDUCE, "jq_gather_backward_atomic", total, dev(g), outer, nIn, inner, idx, nOut, dev(gx));
            }
        }
    }

    // ---- convolution ----------------------------------------------------------------------

    private static int[] convShape(Conv2dShape s) {
        return new int[] {s.n(), s.cIn(), s.h(), s.w(), s.cOut(), s.kh(), s.kw(), s.strideH(), s.strideW(),
                s.padH(), s.padW(), s.dilationH(), s.dilationW(), s.outH(), s.outW()};
    }

    /** Images per im2col chunk so the workspace stays under {@link #CONV_WORKSPACE_FLOATS}. */
    private static int chunkImages(Conv2dShape s) {
        long p = (long) s.outH() * s.outW();
        long perImage = ((long) s.cIn() * s.kh() * s.kw() + s.cOut()) * p;
        return (int) Math.max(1, Math.min(s.n(), CONV_WORKSPACE_FLOATS / Math.max(1, perImage)));
    }

    @Override
    public void conv2d(Conv2dShape s, Storage x, Storage w, Storage bias, Storage y) {
        if (s.n() == 0) {
            return;
        }
        rt();
        int[] cs = convShape(s);
        int p = s.outH() * s.outW();
        int kg = s.cInPerGroup() * s.kh() * s.kw();
        int cog = s.cOutPerGroup();
        int chunk = chunkImages(s);
        try (CudaStorage col = allocateUninitialised(s.cIn() * s.kh() * s.kw() * chunk * p);
             CudaStorage ycol = allocateUninitialised(s.cOut() * chunk * p)) {
            for (int n0 = 0; n0 < s.n(); n0 += chunk) {
                int nb = Math.min(chunk, s.n() - n0);
                int cols = nb * p;
                rt().launch1d(CONV, "jq_im2col", (long) s.cIn() * s.kh() * s.kw() * cols, cs, dev(x), n0, nb, col);
                for (int g = 0; g < s.groups(); g++) {
                    gemm(false, false, cog, cols, kg, 1f, w, g * cog * kg, kg, col, g * kg * cols, cols,
                            0f, ycol, g * cog * cols, cols);
                }
                rt().launch1d(CONV, "jq_conv_cnp_to_nchw", (long) nb * s.cOut() * p, ycol, devOrNull(bias), s.cOut(), p, n0, nb, dev(y));
            }
        }
    }

    @Override
    public void conv2dBackwardData(Conv2dShape s, Storage gy, Storage w, Storage gx) {
        if (s.n() == 0) {
            return;
        }
        rt();
        int[] cs = convShape(s);
        int p = s.outH() * s.outW();
        int kg = s.cInPerGroup() * s.kh() * s.kw();
        int cog = s.cOutPerGroup();
        int chunk = chunkImages(s);
        try (CudaStorage col = allocateUninitialised(s.cIn() * s.kh() * s.kw() * chunk * p);
             CudaStorage gcol = allocateUninitialised(s.cOut() * chunk * p)) {
            for (int n0 = 0; n0 < s.n(); n0 += chunk) {
                int nb = Math.min(chunk, s.n() - n0);
                int cols = nb * p;
                rt().launch1d(CONV, "jq_conv_nchw_to_cnp", (long) nb * s.cOut() * p, dev(gy), s.cOut(), p, n0, nb, gcol);
                for (int g = 0; g < s.groups(); g++) {
                    gemm(true, false, kg, cols, cog, 1f, w, g * cog * kg, kg, gcol, g * cog * cols, cols,
                            0f, col, g * kg * cols, cols);
                }
                rt().launch1d(CONV, "jq_col2im", (long) nb * s.cIn() * s.h() * s.w(), cs, col, n0, nb, dev(gx));
            }
        }
    }

    @Override
    public void conv2dBackwardWeight(Conv2dShape s, Storage x, Storage gy, Storage gw) {
        if (s.n() == 0) {
            fill(gw, 0, s.weightSize(), 0f);
            return;
        }
        rt();
        int[] cs = convShape(s);
        int p = s.outH() * s.outW();
        int kg = s.cInPerGroup() * s.kh() * s.kw();
        int cog = s.cOutPerGroup();
        int chunk = chunkImages(s);
        try (CudaStorage col = allocateUninitialised(s.cIn() * s.kh() * s.kw() * chunk * p);
             CudaStorage gcol = allocateUninitialised(s.cOut() * chunk * p)) {
            for (int n0 = 0; n0 < s.n(); n0 += chunk) {
                int nb = Math.min(chunk, s.n() - n0);
                int cols = nb * p;
                rt().launch1d(CONV, "jq_im2col", (long) s.cIn() * s.kh() * s.kw() * cols, cs, dev(x), n0, nb, col);
                rt().launch1d(CONV, "jq_conv_nchw_to_cnp", (long) nb * s.cOut() * p, dev(gy), s.cOut(), p, n0, nb, gcol);
                float beta = n0 == 0 ? 0f : 1f;
                for (int g = 0; g < s.groups(); g++) {
                    gemm(false, true, cog, kg, cols, 1f, gcol, g * cog * cols, cols, col, g * kg * cols, cols,
                            beta, gw, g * cog * kg, kg);
                }
            }
        }
    }

    // ---- pooling --------------------------------------------------------------------------

    private static int[] poolShape(Pool2dShape s) {
        return new int[] {s.planes(), s.h(), s.w(), s.kh(), s.kw(), s.strideH(), s.strideW(), s.padH(), s.padW(),
                s.outH(), s.outW()};
    }

    @Override
    public void maxPool2d(Pool2dShape s, Storage x, Storage y) {
        rt().launch1d(POOL, "jq_maxpool_forward", (long) s.planes() * s.outH() * s.outW(), poolShape(s), dev(x), dev(y));
    }

    @Override
    public void maxPool2dBackward(Pool2dShape s, Storage x, Storage gy, Storage gx) {
        rt().launch1d(POOL, "jq_maxpool_backward", (long) s.planes() * s.h() * s.w(), poolShape(s), dev(x), dev(gy), dev(gx));
    }

    @Override
    public void avgPool2d(Pool2dShape s, Storage x, Storage y) {
        rt().launch1d(POOL, "jq_avgpool_forward", (long) s.planes() * s.outH() * s.outW(), poolShape(s), dev(x), dev(y));
    }

    @Override
    public void avgPool2dBackward(Pool2dShape s, Storage gy, Storage gx) {
        rt().launch1d(POOL, "jq_avgpool_backward", (long) s.planes() * s.h() * s.w(), poolShape(s), dev(gy), dev(gx));
    }

    // ---- batch normalisation --------------------------------------------------------------

    private static int chunks(long perChannel) {
        return (int) Math.max(1, (perChannel + CHUNK - 1) / CHUNK);
    }

    private static void checkChannels(int c) {
        if (c > 65535) {
            throw new IllegalArgumentException("cuda: at most 65535 channels per kernel launch, got " + c);
        }
    }

    @Override
    public void batchNormTrain(Storage x, int n, int c, int hw, Storage gamma, Storage beta, float eps,
                               Storage y, Storage mean, Storage var, Storage invStd) {
        if (c == 0) {
            return;
        }
        checkChannels(c);
        CudaRuntime rt = rt();
        if ((long) n * hw == 0) {
            // no samples: statistics are 0/0, as in the reference
            fill(mean, 0, c, Float.NaN);
            fill(var, 0, c, Float.NaN);
            fill(invStd, 0, c, Float.NaN);
            return;
        }
        int chunks = chunks((long) n * hw);
        // doubles: 2 per (channel, chunk) partial, 2 per channel coefficient
        try (CudaStorage partial = allocateUninitialised(4 * c * chunks);
             CudaStorage coef = allocateUninitialised(4 * c)) {
            rt.launch(BATCHNORM, "jq_bn_stats_partial", chunks, c, CudaRuntime.BLOCK, dev(x), n, c, hw, CHUNK, partial);
            rt.launch(BATCHNORM, "jq_bn_stats_finish", (c + 7) / 8, 1, 256, dev(x), partial, n, c, hw, chunks, eps,
                    devOrNull(gamma), devOrNull(beta), dev(mean), dev(var), dev(invStd), coef);
            rt.launch1d(BATCHNORM, "jq_bn_apply", (long) n * c * hw, dev(x), n, c, hw, coef, dev(y));
        }
    }

    @Override
    public void batchNormEval(Storage x, int n, int c, int hw, Storage mean, Storage var,
                              Storage gamma, Storage beta, float eps, Storage y) {
        if (c == 0) {
            return;
        }
        CudaRuntime rt = rt();
        try (CudaStorage coef = allocateUninitialised(4 * c)) {
            rt.launch1d(BATCHNORM, "jq_bn_eval_coef", c, c, dev(mean), dev(var), devOrNull(gamma), devOrNull(beta), eps, coef);
            rt.launch1d(BATCHNORM, "jq_bn_apply", (long) n * c * hw, dev(x), n, c, hw, coef, dev(y));
        }
    }

    @Override
    public void batchNormBackward(Storage x, Storage gy, int n, int c, int hw, Storage gamma,
                                  Storage mean, Storage invStd, Storage gx, Storage gGamma, Storage gBeta) {
        if (c == 0) {
            return;
        }
        checkChannels(c);
        CudaRuntime rt = rt();
        int chunks = chunks((long) n * hw);
        try (CudaStorage partial = allocateUninitialised(4 * c * chunks);
             CudaStorage sums = allocateUninitialised(4 * c)) {
            rt.launch(BATCHNORM, "jq_bn_backward_partial", chunks, c, CudaRuntime.BLOCK, dev(x), dev(gy), n, c, hw, CHUNK,
                    dev(mean), dev(invStd), partial);
            rt.launch(BATCHNORM, "jq_bn_backward_finish", (c + 7) / 8, 1, 256, partial, c, chunks, sums,
                    devOrNull(gGamma), devOrNull(gBeta));
            if (gx != null) {
                rt.launch1d(BATCHNORM, "jq_bn_backward_dx", (long) n * c * hw, dev(x), dev(gy), n, c, hw, devOrNull(gamma),
                        dev(mean), dev(invStd), sums, dev(gx));
            }
        }
    }

    // ---- fake quantization ----------------------------------------------------------------

    @Override
    public BitMask allocateMask(int size) {
        return new CudaBitMask(rt(), size);
    }

    @Override
    public void fakeQuantize(FakeQuantShape s, Storage x, Storage scale, Storage offset, Storage y, BitMask mask) {
        long n = (long) s.size();
        CudaBitMask m = CudaBitMask.of(mask);
        long padded = (n + 63) / 64 * 64;
        if (padded == 0) {
            return;
        }
        rt().launch1d(FAKEQUANT, "jq_fq_forward", padded, dev(x), dev(scale), devOrNull(offset), dev(y), m,
                s.outer(), s.channels(), s.inner(), s.qmin(), s.qmax());
    }

    @Override
    public void fakeQuantizeBackward(FakeQuantShape s, Storage x, Storage gy, Storage scale, Storage offset, BitMask mask,
                                     Storage gx, Storage gScale, Storage gOffset) {
        boolean sums = gScale != null || gOffset != null;
        if (gx == null && !sums) {
            return;
        }
        checkChannels(s.channels());
        CudaRuntime rt = rt();
        CudaBitMask m = CudaBitMask.of(mask);
        int c = s.channels();
        int chunks = chunks((long) s.outer() * s.inner());
        CudaStorage partial = sums ? allocateUninitialised(4 * c * chunks) : null;
        try {
            rt.launch(FAKEQUANT, "jq_fq_backward_partial", chunks, c, CudaRuntime.BLOCK, dev(x), dev(gy), dev(scale),
                    devOrNull(offset), m, devOrNull(gx), partial, s.outer(), c, s.inner(), s.qmin(), s.qmax(),
                    s.stepGradInside() ? 1 : 0, CHUNK, sums ? 1 : 0);
            if (sums) {
                rt.launch(FAKEQUANT, "jq_fq_backward_finish", (c + 7) / 8, 1, 256, partial, c, chunks, s.gradScale(),
                        devOrNull(gScale), devOrNull(gOffset));
            }
        } finally {
            if (partial != null) {
                partial.close();
            }
        }
    }
}
