package org.jqat.core;

import java.util.Arrays;
import org.jqat.core.backend.Backend;

/** Views (reshape, permute, slice, expand, ...) and the copies behind contiguous, concat and gather. */
final class Shapes {
    private Shapes() {
    }

    static Tensor reshape(Tensor x, int[] requested, boolean viewOnly) {
        String op = viewOnly ? "view" : "reshape";
        int[] shape = inferShape(op, x, requested);
        Tensor src = x;
        if (!x.isContiguous()) {
            if (viewOnly) {
                throw new IllegalArgumentException("view: tensor of shape " + Shape.str(x.shape) + " with strides "
                        + Shape.str(x.strides) + " is not contiguous; use reshape(" + Shape.str(requested) + ")");
            }
            src = copyOf(x);
        }
        Tensor out = new Tensor(src.storage, shape, Shape.contiguousStrides(shape), src.offset);
        int[] inShape = src.shape;
        return Autograd.record(op, out, g -> new Tensor[] {g.reshape(inShape)}, src);
    }

    private static int[] inferShape(String op, Tensor x, int[] requested) {
        int[] shape = requested.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) {
                if (infer >= 0) {
                    throw new IllegalArgumentException(op + ": only one dimension can be -1 in " + Shape.str(requested));
                }
                infer = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException(op + ": invalid size " + shape[i] + " in " + Shape.str(requested));
            } else {
                known *= shape[i];
            }
        }
        int n = x.numel();
        if (infer >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(op + ": shape " + Shape.str(requested) + " is invalid for a tensor of shape "
                        + Shape.str(x.shape) + " (" + n + " elements)");
            }
            shape[infer] = (int) (n / known);
        } else if (known != n) {
            throw new IllegalArgumentException(op + ": shape " + Shape.str(requested) + " is invalid for a tensor of shape "
                    + Shape.str(x.shape) + " (" + n + " elements)");
        }
        return shape;
    }

    static Tensor flatten(Tensor x, int startDim, int endDim) {
        int rank = x.shape.length;
        if (rank == 0) {
            return x.reshape(1);
        }
        int s = Shape.axis("flatten", startDim, rank);
        int e = Shape.axis("flatten", endDim, rank);
        if (s > e) {
            throw new IllegalArgumentException("flatten: start_dim " + startDim + " comes after end_dim " + endDim);
        }
        int[] shape = new int[rank - (e - s)];
        int k = 0;
        for (int i = 0; i < s; i++) {
            shape[k++] = x.shape[i];
        }
        shape[k++] = Shape.product(x.shape, s, e + 1);
        for (int i = e + 1; i < rank; i++) {
            shape[k++] = x.shape[i];
        }
        return x.reshape(shape);
    }

    static Tensor permute(Tensor x, int[] order) {
        int rank = x.shape.length;
        if (order.length != rank) {
            throw new IllegalArgumentException("permute: " + order.length + " dimensions given for a tensor of shape " + Shape.str(x.shape));
        }
        int[] shape = new int[rank];
        int[] strides = new int[rank];
        int[] inverse = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < rank; i++) {
            int a = Shape.axis("permute", order[i], rank);
            if (seen[a]) {
                throw new IllegalArgumentException("permute: dimension " + order[i] + " repeats in " + Arrays.toString(order));
            }
            seen[a] = true;
            shape[i] = x.shape[a];
            strides[i] = x.strides[a];
            inverse[a] = i;
        }
        Tensor out = new Tensor(x.storage, shape, strides, x.offset);
        return Autograd.record("permute", out, g -> new Tensor[] {g.permute(inverse)}, x);
    }

    static Tensor transpose(Tensor x, int dim0, int dim1) {
        int rank = x.shape.length;
        int a = Shape.axis("transpose", dim0, rank);
        int b = Shape.axis("transpose", dim1, rank);
        int[] order = new int[rank];
        for (int i = 0; i < rank; i++) {
            order[i] = i;
        }
        order[a] = b;
        order[b] = a;
        return permute(x, order);
    }

    /** A contiguous copy that stays in the graph. */
    static Tensor copyOf(Tensor x) {
        Tensor out = x.contiguousCopy();
        return Autograd.record("contiguous", out, g -> new Tensor[] {g}, x);
    }

    static Tensor slice(Tensor x, int dim, int start, int end, int step) {
        int rank = x.shape.length;
        int d = Shape.axis("slice", dim, rank);
        int size = x.shape[d];
        if (step <= 0) {
            throw new IllegalArgumentException("slice: step must be positive, got " + step);
        }
        // Negative bounds count from the end and out-of-range bounds are clipped, as Python slicing.
        int s = clip(start < 0 ? start + size : start, size);
        int e = clip(end < 0 ? end + size : end, size);
        int len = e > s ? (e - s + step - 1) / step : 0;
        int[] shape = x.shape.clone();
        int[] strides = x.strides.clone();
        shape[d] = len;
        strides[d] = x.strides[d] * step;
        Tensor out = new Tensor(x.storage, shape, strides, x.offset + s * x.strides[d]);
        int[] inShape = x.shape;
        return Autograd.record("slice", out, g -> {
            Backend be = g.backend();
            Tensor gx = Tensor.empty(be, inShape);
            Tensor region = new Tensor(gx.storage, shape, slicedStrides(gx.strides, d, step), s * gx.strides[d]);
            be.copy(shape, g.storage, g.offset, g.strides, region.storage, region.offset, region.strides);
            return new Tensor[] {gx};
        }, x);
    }

    private static int[] slicedStrides(int[] strides, int d, int step) {
        int[] s = strides.clone();
        s[d] *= step;
        return s;
    }

    private static int clip(int v, int size) {
        return Math.max(0, Math.min(v, size));
    }

    static Tensor expand(Tensor x, int[] newShape) {
        int rank = newShape.length;
        int lead = rank - x.shape.length;
        if (lead < 0) {
            throw new IllegalArgumentException("expand: target " + Shape.str(newShape) + " has fewer dimensions than " + Shape.str(x.shape));
        }
        int[] shape = newShape.clone();
        int[] strides = new int[rank];
        for (int i = 0; i < rank; i++) {
            if (i < lead) {
                if (shape[i] < 0) {
                    throw new IllegalArgumentException("expand: size -1 is not allowed for a new leading dimension in " + Shape.str(newShape));
                }
                continue;
            }
            int have = x.shape[i - lead];
            if (shape[i] == -1) {
                shape[i] = have;
            }
            if (have == shape[i]) {
                strides[i] = x.strides[i - lead];
            } else if (have == 1) {
                strides[i] = 0;
            } else {
                throw new IllegalArgumentException("expand: cannot expand shape " + Shape.str(x.shape) + " to " + Shape.str(newShape));
            }
        }
        if (Arrays.equals(shape, x.shape)) {
            return x;
        }
        Tensor out = new Tensor(x.storage, shape, strides, x.offset);
        int[] inShape = x.shape;
        return Autograd.record("expand", out, g -> new Tensor[] {Elementwise.sumToShape(g, inShape)}, x);
    }

    static Tensor unsqueeze(Tensor x, int dim) {
        int rank = x.shape.length;
        int d = Shape.axis("unsqueeze", dim < 0 ? dim + rank + 1 : dim, rank + 1);
        int[] shape = new int[rank + 1];
        for (int i = 0, k = 0; i <= rank; i++) {
            shape[i] = i == d ? 1 : x.shape[k++];
        }
        return x.reshape(shape);
    }

    static Tensor squeeze(Tensor x, int dim) {
        int d = Shape.axis("squeeze", dim, x.shape.length);
        if (x.shape[d] != 1) {
            return x;
        }
        int[] shape = new int[x.shape.length - 1];
        for (int i = 0, k = 0; i < x.shape.length; i++) {
            if (i != d) {
                shape[k++] = x.shape[i];
            }
        }
        return x.reshape(shape);
    }

    static Tensor concat(int dim, Tensor... tensors) {
        if (tensors.length == 0) {
            throw new IllegalArgumentException("concat: no tensors given");
        }
        Tensor first = tensors[0];
        int rank = first.shape.length;
        int d = Shape.axis("concat", dim, rank);
        int total = 0;
        for (Tensor t : tensors) {
            Tensor.sameDevice("concat", first, t);
            boolean ok = t.shape.length == rank;
            for (int i = 0; ok && i < rank; i++) {
                ok = i == d || t.shape[i] == first.shape[i];
            }
            if (!ok) {
                throw new IllegalArgumentException("concat: shapes " + Shape.str(first.shape) + " and " + Shape.str(t.shape)
                        + " differ outside dimension " + dim);
            }
            total += t.shape[d];
        }
        int[] shape = first.shape.clone();
        shape[d] = total;
        Backend be = first.backend();
        Tensor out = Tensor.empty(be, shape);
        int[] starts = new int[tensors.length];
        int pos = 0;
        for (int i = 0; i < tensors.length; i++) {
            Tensor t = tensors[i];
            starts[i] = pos;
            be.copy(t.shape, t.storage, t.offset, t.strides, out.storage, pos * out.strides[d], out.strides);
            pos += t.shape[d];
        }
        return Autograd.record("concat", out, g -> {
            Tensor[] grads = new Tensor[tensors.length];
            for (int i = 0; i < tensors.length; i++) {
                grads[i] = g.slice(d, starts[i], starts[i] + tensors[i].shape[d]).contiguousCopy();
            }
            return grads;
        }, tensors);
    }

    static Tensor gather(Tensor x, int dim, Tensor index) {
        int rank = x.shape.length;
        int d = Shape.axis("gather", dim, rank);
        if (index.shape.length != rank) {
            throw new IllegalArgumentException("gather: index of shape " + Shape.str(index.shape)
                    + " must have the same rank as input of shape " + Shape.str(x.shape));
        }
        Tensor src = x;
        for (int i = 0; i < rank; i++) {
            if (i != d && index.shape[i] > x.shape[i]) {
                throw new IllegalArgumentException("gather: index of shape " + Shape.str(index.shape)
                        + " is larger than input of shape " + Shape.str(x.shape) + " in dimension " + i);
            }
            if (i != d && index.shape[i] < x.shape[i]) {
                src = src.slice(i, 0, index.shape[i]);
            }
        }
        int[] idx = toIndices("gather", index, x.shape[d]);
        int outer = Shape.product(index.shape, 0, d);
        int inner = Shape.product(index.shape, d + 1, rank);
        int nIn = x.shape[d];
        int nOut = index.shape[d];
        Backend be = x.backend();
        Tensor srcDense = src.dense();
        Tensor out = Tensor.empty(be, index.shape);
        be.gather(srcDense.storage, outer, nIn, inner, idx, nOut, out.storage);
        int[] srcShape = src.shape;
        Tensor source = src;
        return Autograd.record("gather", out, g -> {
            Tensor gx = Tensor.empty(be, srcShape);
            be.gatherBackward(g.dense().storage, outer, nIn, inner, idx, nOut, gx.storage);
            return new Tensor[] {gx};
        }, source);
    }

    /** Integer values of an index tensor, each checked to lie in [0, bound). */
    static int[] toIndices(String op, Tensor index, int bound) {
        float[] v = index.toFloatArray();
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            float f = v[i];
            if (f != Math.rint(f) || f < 0 || f >= bound) {
                throw new IndexOutOfBoundsException(op + ": index " + f + " at position " + i + " is not an integer in [0, " + bound + ")");
            }
            out[i] = (int) f;
        }
        return out;
    }
}
