package org.jqat.core;

import java.util.Arrays;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.Device;
import org.jqat.core.backend.ReduceOp;
import org.jqat.core.backend.Storage;
import org.jqat.core.backend.UnaryOp;

/**
 * A dense float32 tensor: a view (shape, strides, offset) over a {@link Storage}, with
 * reverse-mode autograd.
 *
 * <p>Ops return new tensors and never modify their inputs; the few in-place methods end in an
 * underscore ({@code addInPlace_}) as PyTorch's, and refuse to run on a tensor whose gradient
 * is being recorded. View ops (reshape of a contiguous tensor, permute, transpose, slice,
 * expand) share storage. Each tensor holds one reference to its storage, given back by
 * {@link #close()} or by the {@link TensorScope} it was made in; the memory is freed when the
 * last tensor over it is closed (device memory also when the collector finds it unreachable).
 * A closed tensor must not be used again.
 */
public final class Tensor implements AutoCloseable {
    final Storage storage;
    final int[] shape;
    final int[] strides;
    final int offset;
    boolean requiresGrad;
    Tensor grad;
    Autograd.Node node;
    /** How many recorded ops read this tensor (see {@link Autograd#submitThroughLeafOp}). */
    int uses;
    /** The scope that closes this tensor, or null (see {@link TensorScope}). */
    TensorScope scope;
    private boolean closed;

    Tensor(Storage storage, int[] shape, int[] strides, int offset) {
        storage.retain();
        this.storage = storage;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        TensorScope.track(this);
    }

    /** A contiguous tensor of this shape over storage that starts at element 0. */
    static Tensor dense(Storage storage, int... shape) {
        return new Tensor(storage, shape.clone(), Shape.contiguousStrides(shape), 0);
    }

    /** A new zero-filled tensor on the given backend's device. */
    static Tensor empty(Backend backend, int... shape) {
        return dense(backend.allocate(Shape.numel(shape)), shape);
    }

    /** A tensor whose contents are unspecified, for an op whose kernel writes every element. */
    static Tensor uninitialized(Backend backend, int... shape) {
        return dense(backend.allocateUninitialized(Shape.numel(shape)), shape);
    }

    // ---- factories ------------------------------------------------------------------------

    /** A tensor holding a copy of {@code data} in the given shape (row-major). */
    public static Tensor of(float[] data, int... shape) {
        if (Shape.numel(shape) != data.length) {
            throw new IllegalArgumentException("Tensor.of: " + data.length + " values cannot fill shape " + Shape.str(shape));
        }
        return dense(Backends.cpu().upload(data), shape);
    }

    /** A 1-D tensor of the given values. */
    public static Tensor of(float... data) {
        return of(data, data.length);
    }

    /** A tensor from a double array (rounded to float32). */
    public static Tensor of(double[] data, int... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return of(f, shape);
    }

    /** A rank-0 tensor. */
    public static Tensor scalar(float value) {
        return of(new float[] {value}, new int[0]);
    }

    public static Tensor zeros(int... shape) {
        return empty(Backends.cpu(), shape);
    }

    public static Tensor ones(int... shape) {
        return full(1f, shape);
    }

    public static Tensor full(float value, int... shape) {
        Backend be = Backends.cpu();
        Tensor t = empty(be, shape);
        be.fill(t.storage, 0, t.numel(), value);
        return t;
    }

    public static Tensor zerosLike(Tensor t) {
        return empty(t.backend(), t.shape);
    }

    /** {@code start, start+step, ...} strictly before {@code end}, as {@code torch.arange}. */
    public static Tensor arange(double start, double end, double step) {
        if (step == 0 || !Double.isFinite(start) || !Double.isFinite(end) || !Double.isFinite(step)) {
            throw new IllegalArgumentException("arange: start, end and step must be finite and step non-zero");
        }
        long n = (long) Math.ceil((end - start) / step);
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("arange(" + start + ", " + end + ", " + step + ") has an invalid length " + n);
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (start + i * step);
        }
        return of(v);
    }

    public static Tensor arange(int end) {
        return arange(0, end, 1);
    }

    /** Uniform samples in [0, 1) from the given generator. */
    public static Tensor rand(Rng rng, int... shape) {
        float[] v = new float[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextFloat();
        }
        return of(v, shape);
    }

    public static Tensor rand(int... shape) {
        return rand(Rng.global(), shape);
    }

    /** Standard normal samples from the given generator. */
    public static Tensor randn(Rng rng, int... shape) {
        float[] v = new float[Shape.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return of(v, shape);
    }

    public static Tensor randn(int... shape) {
        return randn(Rng.global(), shape);
    }

    /** Concatenates tensors along an existing dimension, as {@code torch.cat}. */
    public static Tensor concat(int dim, Tensor... tensors) {
        return Shapes.concat(dim, tensors);
    }

    // ---- inspection -----------------------------------------------------------------------

    /** A copy of the shape. */
    public int[] shape() {
        return shape.clone();
    }

    public int size(int dim) {
        return shape[Shape.axis("size", dim, shape.length)];
    }

    public int dim() {
        return shape.length;
    }

    public int numel() {
        return Shape.numel(shape);
    }

    /** A copy of the strides, in elements. */
    public int[] strides() {
        return strides.clone();
    }

    public int storageOffset() {
        return offset;
    }

    public Device device() {
        return storage.device();
    }

    /** The storage behind this view; backends and tests use it, applications rarely need it. */
    public Storage storage() {
        return storage;
    }

    /** The backend that runs ops on this tensor. */
    public Backend backend() {
        if (closed) {
            throw new IllegalStateException("tensor of shape " + Shape.str(shape) + " on " + storage.device()
                    + " used after close() (closed by its owner or at the end of its TensorScope)");
        }
        return Backends.forDevice(storage.device());
    }

    public boolean isContiguous() {
        int expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && strides[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** The values in row-major order, as a new array. */
    public float[] toFloatArray() {
        Tensor d = dense();
        return d.backend().download(d.storage, 0, d.numel());
    }

    /** The single value of a one-element tensor. */
    public float item() {
        if (numel() != 1) {
            throw new IllegalStateException("item: tensor of shape " + Shape.str(shape) + " has " + numel() + " elements, not 1");
        }
        return backend().download(storage, offset, 1)[0];
    }

    /** One element by index. */
    public float get(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("get: " + index.length + " indices for a tensor of shape " + Shape.str(shape));
        }
        int off = offset;
        for (int d = 0; d < index.length; d++) {
            if (index[d] < 0 || index[d] >= shape[d]) {
                throw new IndexOutOfBoundsException("get: index " + Arrays.toString(index) + " out of range for shape " + Shape.str(shape));
            }
            off += index[d] * strides[d];
        }
        return backend().download(storage, off, 1)[0];
    }

    // ---- autograd -------------------------------------------------------------------------

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Marks a leaf tensor as a parameter whose gradient is accumulated by {@link #backward()}. */
    public Tensor requiresGrad(boolean value) {
        if (node != null && !value) {
            throw new IllegalStateException("requiresGrad(false) on a non-leaf tensor; use detach()");
        }
        requiresGrad = value;
        return this;
    }

    /** The accumulated gradient, or null before the first backward pass. */
    public Tensor grad() {
        return grad;
    }

    /** Replaces the gradient (optimizers and clipping use this); null clears it. */
    public void setGrad(Tensor g) {
        if (g != null && !Arrays.equals(g.shape, shape)) {
            throw new IllegalArgumentException("setGrad: gradient shape " + Shape.str(g.shape) + " does not match " + Shape.str(shape));
        }
        grad = g;
    }

    /** Clears the gradient (sets it to null, as PyTorch's set_to_none). */
    public void zeroGrad() {
        grad = null;
    }

    /** Whether this tensor was made by a recorded op (and so is not a leaf). */
    public boolean isLeaf() {
        return node == null;
    }

    /** The same data, cut from the graph: no gradient flows through the result. */
    public Tensor detach() {
        return new Tensor(storage, shape, strides, offset);
    }

    /** Backward from a one-element tensor (a loss). */
    public void backward() {
        if (numel() != 1) {
            throw new IllegalStateException("backward: an implicit gradient needs a one-element tensor, got shape "
                    + Shape.str(shape) + "; pass the output gradient explicitly");
        }
        backward(full(1f, shape).to(device()));
    }

    /** Backward with an explicit output gradient of this tensor's shape. */
    public void backward(Tensor gradOutput) {
        if (!Arrays.equals(gradOutput.shape, shape)) {
            throw new IllegalArgumentException("backward: gradient shape " + Shape.str(gradOutput.shape)
                    + " does not match tensor shape " + Shape.str(shape));
        }
        Autograd.backward(this, gradOutput);
    }

    void accumulateGrad(Tensor g) {
        if (grad == null) {
            // Always copy: g may alias another tensor's gradient, and later steps add into grad in place.
            grad = g.contiguousCopy();
        } else {
            grad.addInPlace_(g);
        }
    }

    // ---- elementwise ----------------------------------------------------------------------

    public Tensor add(Tensor other) {
        return Elementwise.binary(BinaryOp.ADD, this, other);
    }

    public Tensor sub(Tensor other) {
        return Elementwise.binary(BinaryOp.SUB, this, other);
    }

    public Tensor mul(Tensor other) {
        return Elementwise.binary(BinaryOp.MUL, this, other);
    }

    public Tensor div(Tensor other) {
        return Elementwise.binary(BinaryOp.DIV, this, other);
    }

    public Tensor pow(Tensor exponent) {
        return Elementwise.binary(BinaryOp.POW, this, exponent);
    }

    /** Elementwise maximum; ties split the gradient evenly, as PyTorch. */
    public Tensor maximum(Tensor other) {
        return Elementwise.binary(BinaryOp.MAX, this, other);
    }

    public Tensor minimum(Tensor other) {
        return Elementwise.binary(BinaryOp.MIN, this, other);
    }

    /** 1 where equal, else 0 (no gradient). */
    public Tensor eq(Tensor other) {
        return Elementwise.binary(BinaryOp.EQ, this, other);
    }

    public Tensor gt(Tensor other) {
        return Elementwise.binary(BinaryOp.GT, this, other);
    }

    public Tensor ge(Tensor other) {
        return Elementwise.binary(BinaryOp.GE, this, other);
    }

    public Tensor lt(Tensor other) {
        return Elementwise.binary(BinaryOp.LT, this, other);
    }

    public Tensor le(Tensor other) {
        return Elementwise.binary(BinaryOp.LE, this, other);
    }

    public Tensor add(float v) {
        return Elementwise.affine(this, 1f, v);
    }

    public Tensor sub(float v) {
        return Elementwise.affine(this, 1f, -v);
    }

    public Tensor mul(float v) {
        return Elementwise.affine(this, v, 0f);
    }

    public Tensor div(float v) {
        return Elementwise.affine(this, 1f / v, 0f);
    }

    public Tensor pow(float exponent) {
        return pow(scalar(exponent).to(device()));
    }

    public Tensor neg() {
        return Elementwise.unary(UnaryOp.NEG, this);
    }

    public Tensor abs() {
        return Elementwise.unary(UnaryOp.ABS, this);
    }

    public Tensor exp() {
        return Elementwise.unary(UnaryOp.EXP, this);
    }

    public Tensor log() {
        return Elementwise.unary(UnaryOp.LOG, this);
    }

    public Tensor sqrt() {
        return Elementwise.unary(UnaryOp.SQRT, this);
    }

    public Tensor tanh() {
        return Elementwise.unary(UnaryOp.TANH, this);
    }

    public Tensor sigmoid() {
        return Elementwise.unary(UnaryOp.SIGMOID, this);
    }

    public Tensor relu() {
        return Elementwise.unary(UnaryOp.RELU, this);
    }

    public Tensor square() {
        return Elementwise.unary(UnaryOp.SQUARE, this);
    }

    public Tensor reciprocal() {
        return Elementwise.unary(UnaryOp.RECIPROCAL, this);
    }

    /** Round half to even, as {@code torch.round}; the gradient is zero. */
    public Tensor round() {
        return Elementwise.unary(UnaryOp.ROUND, this);
    }

    /** Clamps into [lo, hi]; the gradient passes where lo ≤ x ≤ hi. */
    public Tensor clamp(float lo, float hi) {
        return Elementwise.clamp(this, lo, hi);
    }

    // ---- reductions -----------------------------------------------------------------------

    /** Sum of all elements (rank 0). */
    public Tensor sum() {
        return Reductions.reduce(ReduceOp.SUM, this, new int[0], false);
    }

    /** Sum over the given axes (all when empty). */
    public Tensor sum(int[] axes, boolean keepDim) {
        return Reductions.reduce(ReduceOp.SUM, this, axes, keepDim);
    }

    public Tensor sum(int axis, boolean keepDim) {
        return sum(new int[] {axis}, keepDim);
    }

    public Tensor mean() {
        return Reductions.mean(this, new int[0], false);
    }

    public Tensor mean(int[] axes, boolean keepDim) {
        return Reductions.mean(this, axes, keepDim);
    }

    public Tensor mean(int axis, boolean keepDim) {
        return mean(new int[] {axis}, keepDim);
    }

    /** Maximum over axes; the gradient is shared evenly among tied maxima (as {@code amax}). */
    public Tensor max(int[] axes, boolean keepDim) {
        return Reductions.reduce(ReduceOp.MAX, this, axes, keepDim);
    }

    public Tensor max() {
        return max(new int[0], false);
    }

    public Tensor min(int[] axes, boolean keepDim) {
        return Reductions.reduce(ReduceOp.MIN, this, axes, keepDim);
    }

    /** Index of the first maximum along {@code axis}, as float values. */
    public Tensor argmax(int axis, boolean keepDim) {
        return Reductions.argmax(this, axis, keepDim);
    }

    /** Variance over axes; {@code unbiased} divides by n-1 (PyTorch's default). */
    public Tensor var(int[] axes, boolean unbiased, boolean keepDim) {
        return Reductions.var(this, axes, unbiased, keepDim);
    }

    // ---- linear algebra -------------------------------------------------------------------

    /** Matrix product of 1-D, 2-D or batched (broadcast) operands, as {@code torch.matmul}. */
    public Tensor matmul(Tensor other) {
        return LinearAlgebra.matmul(this, other);
    }

    // ---- shape ----------------------------------------------------------------------------

    /** Same data in a new shape (one size may be -1); a view when possible, else a copy. */
    public Tensor reshape(int... newShape) {
        return Shapes.reshape(this, newShape, false);
    }

    /** Like {@link #reshape} but fails instead of copying. */
    public Tensor view(int... newShape) {
        return Shapes.reshape(this, newShape, true);
    }

    public Tensor flatten(int startDim, int endDim) {
        return Shapes.flatten(this, startDim, endDim);
    }

    public Tensor permute(int... order) {
        return Shapes.permute(this, order);
    }

    public Tensor transpose(int dim0, int dim1) {
        return Shapes.transpose(this, dim0, dim1);
    }

    /** Transpose of a 2-D tensor. */
    public Tensor t() {
        if (shape.length != 2) {
            throw new IllegalArgumentException("t: expects a 2-D tensor, got shape " + Shape.str(shape));
        }
        return transpose(0, 1);
    }

    /** This tensor if already contiguous, else a contiguous copy (differentiable). */
    public Tensor contiguous() {
        return isContiguous() ? this : Shapes.copyOf(this);
    }

    /** Elements {@code start, start+step, ...} before {@code end} along {@code dim}, as a view. */
    public Tensor slice(int dim, int start, int end, int step) {
        return Shapes.slice(this, dim, start, end, step);
    }

    public Tensor slice(int dim, int start, int end) {
        return slice(dim, start, end, 1);
    }

    /** Broadcasts size-1 dimensions (and new leading ones) to {@code newShape}, as a view. */
    public Tensor expand(int... newShape) {
        return Shapes.expand(this, newShape);
    }

    public Tensor unsqueeze(int dim) {
        return Shapes.unsqueeze(this, dim);
    }

    public Tensor squeeze(int dim) {
        return Shapes.squeeze(this, dim);
    }

    /** {@code torch.gather}: picks along {@code dim} at the (integer-valued) positions in {@code index}. */
    public Tensor gather(int dim, Tensor index) {
        return Shapes.gather(this, dim, index);
    }

    // ---- neural-network ops (more in Functional) ------------------------------------------

    public Tensor softmax(int dim) {
        return SoftmaxOps.softmax(this, dim, false);
    }

    public Tensor logSoftmax(int dim) {
        return SoftmaxOps.softmax(this, dim, true);
    }

    // ---- devices and copies ---------------------------------------------------------------

    /**
     * This tensor on {@code target}: a copy (differentiable), or, when it is already there, a new
     * tensor over the same memory (gradients pass through). Either way the result is a tensor of
     * its own: closing it never frees memory this one still uses.
     */
    public Tensor to(Device target) {
        if (target == device()) {
            return Autograd.record("to", new Tensor(storage, shape, strides, offset), g -> new Tensor[] {g}, this);
        }
        Backend dst = Backends.forDevice(target);
        Tensor out = dense(dst.upload(toFloatArray()), shape);
        Device from = device();
        return Autograd.record("to", out, g -> new Tensor[] {g.to(from)}, this);
    }

    /** A contiguous copy, cut from the graph. */
    public Tensor cloneData() {
        return contiguousCopy();
    }

    /** A contiguous copy that owns its storage (not recorded by autograd). */
    Tensor contiguousCopy() {
        Backend be = backend();
        Tensor out = empty(be, shape);
        be.copy(shape, storage, offset, strides, out.storage, 0, out.strides);
        return out;
    }

    /** This tensor if it is contiguous from element 0 of its storage, else a contiguous copy; for kernels. */
    Tensor dense() {
        return offset == 0 && isContiguous() ? this : contiguousCopy();
    }

    // ---- in-place (not recorded) ----------------------------------------------------------

    /** {@code this += other} (broadcast); for optimizers and gradient accumulation. */
    public Tensor addInPlace_(Tensor other) {
        return Elementwise.inPlace(BinaryOp.ADD, this, other);
    }

    /** {@code this *= other} (broadcast). */
    public Tensor mulInPlace_(Tensor other) {
        return Elementwise.inPlace(BinaryOp.MUL, this, other);
    }

    /** {@code this = this · scale + shift}. */
    public Tensor affineInPlace_(float scale, float shift) {
        checkInPlace("affineInPlace_");
        Tensor d = dense();
        if (d != this) {
            return copyFrom_(affineCopy(scale, shift));
        }
        backend().affine(storage, storage, numel(), scale, shift);
        return this;
    }

    private Tensor affineCopy(float scale, float shift) {
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            return Elementwise.affine(this, scale, shift);
        }
    }

    /** Fills with a value. */
    public Tensor fill_(float value) {
        checkInPlace("fill_");
        if (offset == 0 && isContiguous()) {
            backend().fill(storage, 0, numel(), value);
            return this;
        }
        return copyFrom_(full(value, shape).to(device()));
    }

    /** Copies {@code src} (broadcast to this shape) into this tensor's memory. */
    public Tensor copyFrom_(Tensor src) {
        checkInPlace("copyFrom_");
        Tensor s = src.device() == device() ? src : src.to(device());
        Shape.broadcast("copyFrom_", shape, s.shape);
        Tensor e = Shapes.expand(s.detach(), shape);
        backend().copy(shape, e.storage, e.offset, e.strides, storage, offset, strides);
        return this;
    }

    void checkInPlace(String op) {
        if (storage.isConstant()) {
            throw new IllegalStateException(op + ": in-place change of a constant tensor (" + java.util.Arrays.toString(shape)
                    + "; an inference model's folded weights, which backends may keep packed): build the model again instead");
        }
        if (requiresGrad && Autograd.isGradEnabled()) {
            throw new IllegalStateException(op + ": in-place change of a tensor that requires grad; "
                    + "wrap it in Autograd.noGrad() (as optimizers do)");
        }
    }

    // ---- lifecycle ------------------------------------------------------------------------

    /**
     * Gives back this tensor's reference to its storage; the memory is freed when no other tensor
     * (view, alias, copy source) holds it. Safe to call twice. The tensor must not be used afterwards.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            storage.release();
        }
    }

    /** Whether {@link #close()} was called (directly or by the tensor's scope). */
    public boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("tensor(");
        int n = numel();
        float[] v = n <= 64 && !closed ? toFloatArray() : null;
        if (closed) {
            sb.append("closed");
        } else if (v != null) {
            sb.append(Arrays.toString(v));
        } else {
            sb.append(n).append(" values");
        }
        sb.append(", shape=").append(Shape.str(shape));
        if (node != null) {
            sb.append(", grad_fn=").append(node.op);
        } else if (requiresGrad) {
            sb.append(", requires_grad=true");
        }
        if (device() != Device.CPU) {
            sb.append(", device=").append(device());
        }
        return sb.append(')').toString();
    }

    static void sameDevice(String op, Tensor a, Tensor b) {
        if (b != null && a.device() != b.device()) {
            throw new IllegalArgumentException(op + ": tensors are on different devices (" + a.device() + " and " + b.device() + ")");
        }
    }
}
