package org.jqat.core.backend;

/**
 * The kernels a backend provides. Ops validate their arguments and compute every size before
 * calling a kernel, so kernels can trust what they receive and do only arithmetic.
 *
 * <p>Conventions: buffers are contiguous row-major and start at element 0 unless a method
 * takes an offset or strides; outputs are fully overwritten (never accumulated into) unless
 * the method says otherwise; sizes may be zero. {@link ReferenceBackend} is the scalar oracle
 * every fast backend is tested against.
 */
public interface Backend {

    /** Short name used to select the backend, e.g. {@code "reference"}, {@code "cpu"}, {@code "cuda"}. */
    String name();

    /** The device whose memory this backend's kernels read and write. */
    Device device();

    /** Higher is preferred when choosing the default backend for a device. */
    int priority();

    /** Null when usable on this machine, otherwise why not (no GPU, library missing, ...). */
    default String unavailableReason() {
        return null;
    }

    /** A one-line description for {@code jqat info}: threads, vector width, library versions. */
    default String describe() {
        return name();
    }

    // ---- work that may overlap later ops --------------------------------------------------

    /**
     * Runs {@code task}, now or in the background while the caller goes on: autograd hands over
     * work whose result nothing reads before {@link #awaitSubmitted} (the weight gradients of a
     * backward pass, accumulated after it). The task must only read storages that no op changes
     * before then, and write storages that nothing else reads or writes. The default runs it now.
     */
    default void submit(Runnable task) {
        task.run();
    }

    /** Returns when every task {@link #submit submitted} by now has finished, rethrowing the first failure. */
    default void awaitSubmitted() {
    }

    // ---- memory ---------------------------------------------------------------------------

    /** New zero-filled storage of {@code size} elements. */
    Storage allocate(int size);

    /**
     * New storage of {@code size} elements whose contents are unspecified: for outputs that a
     * kernel overwrites entirely (every conv2d and batch-norm kernel does; their tests pre-fill
     * outputs with NaN to prove it). The default zero-fills, as {@link #allocate} does.
     */
    default Storage allocateUninitialized(int size) {
        return allocate(size);
    }

    /** Storage holding a copy of {@code data}. */
    Storage upload(float[] data);

    /** Copies {@code count} elements from {@code offset} into a new heap array. */
    float[] download(Storage s, int offset, int count);

    /**
     * Strided copy of an N-d view: {@code dst[dstOffset + Σ i_d·dstStrides[d]] = src[srcOffset + Σ i_d·srcStrides[d]]}
     * for every index of {@code shape}. Used by contiguous(), concat and slicing assignment.
     */
    void copy(int[] shape, Storage src, int srcOffset, int[] srcStrides,
              Storage dst, int dstOffset, int[] dstStrides);

    /** Sets {@code count} elements from {@code offset} to {@code value}. */
    void fill(Storage dst, int offset, int count, float value);

    // ---- elementwise ----------------------------------------------------------------------

    /** {@code y[i] = op(x[i])} for i in [0, n). x and y may be the same storage. */
    void unary(UnaryOp op, Storage x, Storage y, int n);

    /** {@code gx[i] = gy[i] · op'(x[i])}; {@code y = op(x)} is passed for ops whose derivative uses it (exp, sqrt, tanh, sigmoid). */
    void unaryBackward(UnaryOp op, Storage x, Storage y, Storage gy, Storage gx, int n);

    /** {@code y[i] = min(max(x[i], lo), hi)}. */
    void clamp(Storage x, Storage y, int n, float lo, float hi);

    /** {@code gx[i] = lo <= x[i] <= hi ? gy[i] : 0}. */
    void clampBackward(Storage x, Storage gy, Storage gx, int n, float lo, float hi);

    /**
     * Broadcasting binary op over {@code shape}: operands are read through strides (stride 0 on
     * a broadcast axis) and the contiguous output {@code out} has that shape.
     */
    void binary(BinaryOp op, int[] shape, Storage a, int aOffset, int[] aStrides,
                Storage b, int bOffset, int[] bStrides, Storage out);

    /** {@code y[i] = x[i] · scale + shift}. */
    void affine(Storage x, Storage y, int n, float scale, float shift);

    // ---- reductions -----------------------------------------------------------------------

    /**
     * Reduces the middle axis of a contiguous {@code [outer, n, inner]} buffer into
     * {@code out[outer, inner]}. n may be 0 only for SUM (giving 0).
     */
    void reduce(ReduceOp op, Storage x, int outer, int n, int inner, Storage out);

    /** Index of the first maximum along the middle axis of {@code [outer, n, inner]}, stored as a float. */
    void argmax(Storage x, int outer, int n, int inner, Storage out);

    /** Per-channel sums of an NCHW-like {@code [n, c, hw]} buffer into {@code out[c]}. */
    void channelSum(Storage x, int n, int c, int hw, Storage out);

    // ---- linear algebra -------------------------------------------------------------------

    /**
     * {@code C = alpha·op(A)·op(B) + beta·C} with row-major leading dimensions, op being
     * transpose when the flag is set. A is m×k after op, B is k×n after op, C is m×n. When
     * beta is 0, C's old contents are ignored (NaN included).
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
              float beta, Storage c, int cOffset, int ldc);

    // ---- softmax --------------------------------------------------------------------------

    /** Softmax (or log-softmax) over each row of a contiguous {@code [rows, cols]} buffer. */
    void softmax(Storage x, Storage y, int rows, int cols, boolean log);

    /** Backward of {@link #softmax} given its output y and the output gradient gy. */
    void softmaxBackward(Storage y, Storage gy, Storage gx, int rows, int cols, boolean log);

    /**
     * {@code out[r] = x[r·cols + index[r]]} for the rows of {@code [rows, cols]}; indices must be in range.
     * The gradient of this pick is a scatter, done by {@link #scatterRows}.
     */
    void pickRows(Storage x, int rows, int cols, int[] index, Storage out);

    /** {@code gx[r·cols + index[r]] += g[r]} on a gx that the caller zeroed. */
    void scatterRows(Storage g, int rows, int cols, int[] index, Storage gx);

    /**
     * {@code torch.gather} on contiguous buffers: x is {@code [outer, nIn, inner]}, index and out
     * are {@code [outer, nOut, inner]}; {@code out[o,j,i] = x[o, index[o,j,i], i]}.
     */
    void gather(Storage x, int outer, int nIn, int inner, int[] index, int nOut, Storage out);

    /** Backward of {@link #gather}: {@code gx[o, index[o,j,i], i] += g[o,j,i]} on a zeroed gx. */
    void gatherBackward(Storage g, int outer, int nIn, int inner, int[] index, int nOut, Storage gx);

    // ---- convolution ----------------------------------------------------------------------

    /** NCHW convolution; bias may be null. */
    void conv2d(Conv2dShape s, Storage x, Storage w, Storage bias, Storage y);

    /**
     * Inference convolution with its epilogue fused: {@code y = conv2d(x, w) + bias + residual},
     * then ReLU when {@code relu}. bias and residual (y's shape) may be null. Eval-mode models with
     * batch norm folded into the weights use it, so the output is written once. The default runs
     * the unfused kernels; a backend may apply the epilogue while it stores each output tile.
     */
    default void conv2dFused(Conv2dShape s, Storage x, Storage w, Storage bias, Storage residual, boolean relu, Storage y) {
        conv2d(s, x, w, bias, y);
        addResidualRelu(y, residual, relu, s.n() * s.cOut() * s.outH() * s.outW());
    }

    /** Gradient with respect to the input. */
    void conv2dBackwardData(Conv2dShape s, Storage gy, Storage w, Storage gx);

    /** Gradient with respect to the weight. */
    void conv2dBackwardWeight(Conv2dShape s, Storage x, Storage gy, Storage gw);

    // ---- pooling --------------------------------------------------------------------------

    /** Max pooling; padded positions never win (as PyTorch's implicit -inf padding). */
    void maxPool2d(Pool2dShape s, Storage x, Storage y);

    /** Routes each output gradient to the first maximum of its window (recomputed from x). */
    void maxPool2dBackward(Pool2dShape s, Storage x, Storage gy, Storage gx);

    /** Average pooling, padding counted in the divisor (PyTorch's count_include_pad=True). */
    void avgPool2d(Pool2dShape s, Storage x, Storage y);

    void avgPool2dBackward(Pool2dShape s, Storage gy, Storage gx);

    // ---- batch normalisation --------------------------------------------------------------

    /**
     * Training-mode batch norm over {@code [n, c, hw]}: normalises with batch statistics and
     * writes the per-channel batch mean and the biased variance (the caller updates running
     * statistics) and 1/sqrt(var+eps) for the backward pass. gamma/beta may be null (affine=false).
     */
    void batchNormTrain(Storage x, int n, int c, int hw, Storage gamma, Storage beta, float eps,
                        Storage y, Storage mean, Storage var, Storage invStd);

    /** Eval-mode batch norm with given statistics. gamma/beta may be null. */
    void batchNormEval(Storage x, int n, int c, int hw, Storage mean, Storage var,
                       Storage gamma, Storage beta, float eps, Storage y);

    /**
     * Backward of training-mode batch norm. Writes gx (may be null when not needed) and the
     * per-channel gradients of gamma and beta (either may be null).
     */
    void batchNormBackward(Storage x, Storage gy, int n, int c, int hw, Storage gamma,
                           Storage mean, Storage invStd, Storage gx, Storage gGamma, Storage gBeta);

    /**
     * Training-mode batch norm, plus {@code residual} (same shape as x, may be null), then ReLU:
     * {@code y = max(0, bn(x) + residual)}, with the statistics of {@link #batchNormTrain}. The
     * default runs the unfused kernels; a backend may do it in one pass over y.
     */
    default void batchNormReluTrain(Storage x, Storage residual, int n, int c, int hw, Storage gamma, Storage beta,
                                    float eps, Storage y, Storage mean, Storage var, Storage invStd) {
        batchNormTrain(x, n, c, hw, gamma, beta, eps, y, mean, var, invStd);
        addResidualRelu(y, residual, true, n * c * hw);
    }

    /**
     * Eval-mode batch norm (running statistics), plus {@code residual} (may be null), then ReLU:
     * {@code y = max(0, bnEval(x) + residual)}. The default runs the unfused kernels; a backend may
     * do it in one pass.
     */
    default void batchNormReluEval(Storage x, Storage residual, int n, int c, int hw, Storage mean, Storage var,
                                   Storage gamma, Storage beta, float eps, Storage y) {
        batchNormEval(x, n, c, hw, mean, var, gamma, beta, eps, y);
        addResidualRelu(y, residual, true, n * c * hw);
    }

    /** The unfused tail of the fused defaults: {@code y = y + residual}, then ReLU when asked, in place. */
    private void addResidualRelu(Storage y, Storage residual, boolean relu, int total) {
        if (residual != null) {
            int[] flat = {total}, unit = {1};
            binary(BinaryOp.ADD, flat, y, 0, unit, residual, 0, unit, y);
        }
        if (relu) {
            unary(UnaryOp.RELU, y, y, total);
        }
    }

    /**
     * Backward of {@link #batchNormReluTrain} from its output y: the ReLU passes
     * {@code gPre = gy·[y > 0]}, written to {@code gPre} when it is not null (it is the residual's
     * gradient), and the batch-norm backward of {@link #batchNormBackward} runs on gPre. gx,
     * gGamma and gBeta may be null when not needed.
     */
    default void batchNormReluBackward(Storage x, Storage y, Storage gy, int n, int c, int hw, Storage gamma,
                                       Storage mean, Storage invStd, Storage gPre, Storage gx, Storage gGamma,
                                       Storage gBeta) {
        int total = n * c * hw;
        Storage pre = gPre != null ? gPre : allocate(total);
        try {
            unaryBackward(UnaryOp.RELU, y, y, gy, pre, total);
            batchNormBackward(x, pre, n, c, hw, gamma, mean, invStd, gx, gGamma, gBeta);
        } finally {
            if (gPre == null) {
                pre.close();
            }
        }
    }

    // ---- fake quantization ----------------------------------------------------------------

    /** A zeroed mask of {@code size} bits on this backend's device. */
    BitMask allocateMask(int size);

    /**
     * Fake-quantize forward in one pass (see {@link FakeQuantShape} for the formula): writes y
     * and sets mask bit i where {@code qmin <= v_i <= qmax}. scale and offset hold one value per
     * channel; offset may be null (β = 0).
     */
    void fakeQuantize(FakeQuantShape s, Storage x, Storage scale, Storage offset, Storage y, BitMask mask);

    /**
     * conv2d of the fake-quantized input, {@code y = conv2d(fq(x), w) + bias}, where fq is the
     * per-tensor fake-quantize of {@link #fakeQuantize} with layout q (one channel, x's size). The
     * default materialises fq(x) in a temporary; a backend may quantize while it lays the input out,
     * and must then produce exactly the values {@link #fakeQuantize} would.
     */
    default void conv2dFakeQuantInput(Conv2dShape s, FakeQuantShape q, Storage x, Storage scale, Storage offset,
                                      Storage w, Storage bias, Storage y) {
        try (Storage xq = allocate(q.size()); BitMask mask = allocateMask(q.size())) {
            fakeQuantize(q, x, scale, offset, xq, mask);
            conv2d(s, xq, w, bias, y);
        }
    }

    /**
     * The gradients of {@link #conv2dFakeQuantInput} for an output gradient gy: gx and the
     * quantizer's gScale and gOffset through the fake-quantize backward of the conv's data gradient,
     * and gw = the weight gradient against fq(x). Each of gx, gScale, gOffset, gw may be null when
     * not needed; offset may be null (β = 0). The default materialises fq(x) and its mask; a backend
     * may recompute both on the fly and must then produce exactly the values the default would.
     */
    default void conv2dFakeQuantInputBackward(Conv2dShape s, FakeQuantShape q, Storage x, Storage scale, Storage offset,
                                              Storage w, Storage gy, Storage gx, Storage gScale, Storage gOffset,
                                              Storage gw) {
        boolean quantGrads = gx != null || gScale != null || gOffset != null;
        if (!quantGrads && gw == null) {
            return;
        }
        try (Storage xq = allocateUninitialized(q.size()); BitMask mask = allocateMask(q.size())) {
            fakeQuantize(q, x, scale, offset, xq, mask);
            if (quantGrads) {
                try (Storage gxq = allocateUninitialized(q.size())) {
                    conv2dBackwardData(s, gy, w, gxq);
                    fakeQuantizeBackward(q, x, gxq, scale, offset, mask, gx, gScale, gOffset);
                }
            }
            if (gw != null) {
                conv2dBackwardWeight(s, xq, gy, gw);
            }
        }
    }

    /**
     * Fake-quantize backward in one pass: {@code gx = mask ? gy : 0}; per channel,
     * {@code gScale = gradScale·Σ gy·(inside ? (stepGradInside ? q − v : 0) : q)} and
     * {@code gOffset = gradScale·Σ gy·(inside ? 0 : 1)}. Any of gx, gScale, gOffset may be null when not
     * needed; offset may be null (β = 0).
     */
    void fakeQuantizeBackward(FakeQuantShape s, Storage x, Storage gy, Storage scale, Storage offset, BitMask mask,
                              Storage gx, Storage gScale, Storage gOffset);
}
