package org.jqat.core;

import java.util.Arrays;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.ReduceOp;

/** Reductions over any set of axes, with keepDim, and their gradients. */
final class Reductions {
    private Reductions() {
    }

    /**
     * The canonical form of a reduction: x permuted (if needed) so the reduced axes form one
     * contiguous block, viewed as {@code [outer, n, inner]}.
     */
    private record Plan(Tensor x, int outer, int n, int inner, int[] keptShape, int[] keepDimShape) {
    }

    private static Plan plan(String op, Tensor x, int[] axesIn) {
        int rank = x.shape.length;
        int[] axes = Shape.axes(op, axesIn, rank);
        boolean[] reduced = new boolean[rank];
        for (int a : axes) {
            reduced[a] = true;
        }
        int[] keepDimShape = x.shape.clone();
        int kept = 0;
        for (int a = 0; a < rank; a++) {
            if (reduced[a]) {
                keepDimShape[a] = 1;
            } else {
                kept++;
            }
        }
        int[] keptShape = new int[kept];
        for (int a = 0, k = 0; a < rank; a++) {
            if (!reduced[a]) {
                keptShape[k++] = x.shape[a];
            }
        }
        boolean block = axes.length == 0 || axes[axes.length - 1] - axes[0] == axes.length - 1;
        if (block) {
            int first = axes.length == 0 ? 0 : axes[0];
            int last = axes.length == 0 ? 0 : axes[axes.length - 1] + 1;
            return new Plan(x.dense(), Shape.product(x.shape, 0, first), Shape.product(x.shape, first, last),
                    Shape.product(x.shape, last, rank), keptShape, keepDimShape);
        }
        int[] order = new int[rank];
        int k = 0;
        for (int a = 0; a < rank; a++) {
            if (!reduced[a]) {
                order[k++] = a;
            }
        }
        for (int a : axes) {
            order[k++] = a;
        }
        Tensor moved = x.detach().permute(order).dense();
        return new Plan(moved, Shape.numel(keptShape), Shape.product(x.shape, 0, rank) / Math.max(1, Shape.numel(keptShape)),
                1, keptShape, keepDimShape);
    }

    static Tensor reduce(ReduceOp op, Tensor x, int[] axes, boolean keepDim) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        Plan p = plan(name, x, axes);
        if (p.n == 0 && op != ReduceOp.SUM) {
            throw new IllegalArgumentException(name + ": cannot reduce an empty dimension of shape " + Shape.str(x.shape));
        }
        Backend be = x.backend();
        Tensor out = Tensor.empty(be, keepDim ? p.keepDimShape : p.keptShape);
        be.reduce(op, p.x.storage, p.outer, p.n, p.inner, out.storage);
        int[] inShape = x.shape;
        return Autograd.record(name, out, g -> {
            Tensor gk = g.reshape(p.keepDimShape);
            if (op == ReduceOp.SUM) {
                return new Tensor[] {gk.expand(inShape).contiguous()};
            }
            // amax/amin: the gradient is shared evenly among the elements equal to the extreme.
            Tensor hit = x.detach().eq(out.reshape(p.keepDimShape));
            Tensor count = hit.sum(axes, true);
            return new Tensor[] {hit.mul(gk.div(count))};
        }, x);
    }

    static Tensor mean(Tensor x, int[] axes, boolean keepDim) {
        int[] norm = Shape.axes("mean", axes, x.shape.length);
        int count = 1;
        for (int a : norm) {
            count *= x.shape[a];
        }
        if (count == 0) {
            throw new IllegalArgumentException("mean: reducing an empty dimension of shape " + Shape.str(x.shape));
        }
        return reduce(ReduceOp.SUM, x, axes, keepDim).mul(1f / count);
    }

    static Tensor var(Tensor x, int[] axes, boolean unbiased, boolean keepDim) {
        int[] norm = Shape.axes("var", axes, x.shape.length);
        int count = 1;
        for (int a : norm) {
            count *= x.shape[a];
        }
        int dof = unbiased ? count - 1 : count;
        if (dof <= 0) {
            throw new IllegalArgumentException("var: " + count + " elements are too few for "
                    + (unbiased ? "the unbiased" : "a") + " variance over axes " + Arrays.toString(axes) + " of " + Shape.str(x.shape));
        }
        Tensor centered = x.sub(x.mean(axes, true));
        return centered.square().sum(axes, keepDim).mul(1f / dof);
    }

    static Tensor argmax(Tensor x, int axis, boolean keepDim) {
        int a = Shape.axis("argmax", axis, x.shape.length);
        if (x.shape.length > 0 && x.shape[a] == 0) {
            throw new IllegalArgumentException("argmax: empty dimension " + axis + " in shape " + Shape.str(x.shape));
        }
        Plan p = plan("argmax", x, new int[] {a});
        Backend be = x.backend();
        Tensor out = Tensor.empty(be, keepDim ? p.keepDimShape : p.keptShape);
        be.argmax(p.x.storage, p.outer, p.n, p.inner, out.storage);
        return out;
    }
}
