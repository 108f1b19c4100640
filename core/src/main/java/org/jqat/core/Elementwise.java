package org.jqat.core;

import org.jqat.core.backend.Backend;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.UnaryOp;

/** Elementwise ops with NumPy broadcasting, each with its backward beside it. */
final class Elementwise {
    private Elementwise() {
    }

    static Tensor unary(UnaryOp op, Tensor x) {
        Backend be = x.backend();
        Tensor xd = x.dense();
        int n = x.numel();
        Tensor y = Tensor.uninitialized(be, x.shape);
        be.unary(op, xd.storage, y.storage, n);
        return Autograd.record(op.name().toLowerCase(java.util.Locale.ROOT), y, g -> {
            Tensor gx = Tensor.uninitialized(be, xd.shape);
            be.unaryBackward(op, xd.storage, y.storage, g.dense().storage, gx.storage, n);
            return new Tensor[] {gx};
        }, x);
    }

    static Tensor clamp(Tensor x, float lo, float hi) {
        if (!(lo <= hi)) {
            throw new IllegalArgumentException("clamp: min " + lo + " must not exceed max " + hi);
        }
        Backend be = x.backend();
        Tensor xd = x.dense();
        int n = x.numel();
        Tensor y = Tensor.uninitialized(be, x.shape);
        be.clamp(xd.storage, y.storage, n, lo, hi);
        return Autograd.record("clamp", y, g -> {
            Tensor gx = Tensor.uninitialized(be, xd.shape);
            be.clampBackward(xd.storage, g.dense().storage, gx.storage, n, lo, hi);
            return new Tensor[] {gx};
        }, x);
    }

    /** {@code x·scale + shift}. */
    static Tensor affine(Tensor x, float scale, float shift) {
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor y = Tensor.uninitialized(be, x.shape);
        be.affine(xd.storage, y.storage, x.numel(), scale, shift);
        return Autograd.record("affine", y, g -> new Tensor[] {g.mul(scale)}, x);
    }

    static Tensor binary(BinaryOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        Tensor.sameDevice(name, a, b);
        int[] shape = Shape.broadcast(name, a.shape, b.shape);
        Backend be = a.backend();
        Tensor out = Tensor.uninitialized(be, shape);
        be.binary(op, shape, a.storage, a.offset, broadcastStrides(a, shape),
                b.storage, b.offset, broadcastStrides(b, shape), out.storage);
        return Autograd.record(name, out, g -> binaryBackward(op, a, b, out, g), a, b);
    }

    private static Tensor[] binaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor out, Tensor g) {
        Tensor ga = null;
        Tensor gb = null;
        switch (op) {
            case ADD -> {
                ga = g;
                gb = g;
            }
            case SUB -> {
                ga = g;
                gb = b.requiresGrad ? g.neg() : null;
            }
            case MUL -> {
                ga = a.requiresGrad ? g.mul(b) : null;
                gb = b.requiresGrad ? g.mul(a) : null;
            }
            case DIV -> {
                ga = a.requiresGrad ? g.div(b) : null;
                gb = b.requiresGrad ? g.mul(out).div(b).neg() : null;
            }
            case MAX, MIN -> {
                // The winner takes the gradient; ties split it evenly, as PyTorch does.
                Tensor win = op == BinaryOp.MAX ? a.gt(b) : a.lt(b);
                Tensor share = win.add(a.eq(b).mul(0.5f));
                ga = a.requiresGrad ? g.mul(share) : null;
                gb = b.requiresGrad ? g.mul(share.neg().add(1f)) : null;
            }
            case POW -> {
                ga = a.requiresGrad ? g.mul(b).mul(a.pow(b.sub(1f))) : null;
                gb = b.requiresGrad ? g.mul(out).mul(a.log()) : null;
            }
            case EQ, GT, GE, LT, LE -> {
                // Comparisons are piecewise constant: no gradient.
            }
        }
        return new Tensor[] {
            ga == null ? null : sumToShape(ga, a.shape),
            gb == null ? null : sumToShape(gb, b.shape)
        };
    }

    /** {@code target op= other} in place, broadcasting other to target's shape. */
    static Tensor inPlace(BinaryOp op, Tensor target, Tensor other) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT) + "InPlace_";
        target.checkInPlace(name);
        Tensor.sameDevice(name, target, other);
        int[] shape = Shape.broadcast(name, target.shape, other.shape);
        if (!java.util.Arrays.equals(shape, target.shape)) {
            throw new IllegalArgumentException(name + ": result shape " + Shape.str(shape)
                    + " differs from the target's shape " + Shape.str(target.shape));
        }
        Backend be = target.backend();
        if (target.offset == 0 && target.isContiguous()) {
            // Kernels read both operands before writing each element, so in place is safe.
            be.binary(op, shape, target.storage, 0, target.strides, other.storage, other.offset,
                    broadcastStrides(other, shape), target.storage);
            return target;
        }
        Tensor tmp = Tensor.uninitialized(be, shape);
        be.binary(op, shape, target.storage, target.offset, target.strides, other.storage, other.offset,
                broadcastStrides(other, shape), tmp.storage);
        be.copy(shape, tmp.storage, 0, tmp.strides, target.storage, target.offset, target.strides);
        return target;
    }

    /** Strides that read {@code t} as if broadcast to {@code shape}: 0 on broadcast axes. */
    static int[] broadcastStrides(Tensor t, int[] shape) {
        int[] s = new int[shape.length];
        int lead = shape.length - t.shape.length;
        for (int i = 0; i < t.shape.length; i++) {
            s[lead + i] = t.shape[i] == 1 && shape[lead + i] != 1 ? 0 : t.strides[i];
        }
        return s;
    }

    /** Sums a broadcast gradient back to the shape of the operand it came from. */
    static Tensor sumToShape(Tensor g, int[] shape) {
        if (java.util.Arrays.equals(g.shape, shape)) {
            return g;
        }
        int lead = g.shape.length - shape.length;
        int[] axes = new int[g.shape.length];
        int k = 0;
        for (int i = 0; i < g.shape.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && g.shape[i] != 1)) {
                axes[k++] = i;
            }
        }
        Tensor s = k == 0 ? g : g.sum(java.util.Arrays.copyOf(axes, k), true);
        return s.reshape(shape);
    }
}
