package org.jqat.core;

import java.util.Arrays;

/** Static helpers for shapes (int arrays, row-major): sizes, strides, broadcasting, axis checks. */
public final class Shape {
    private Shape() {
    }

    /** Number of elements; fails on negative sizes or overflow past {@code Integer.MAX_VALUE}. */
    public static int numel(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative size in shape " + str(shape));
            }
            n *= d;
            if (n > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("shape " + str(shape) + " has more than 2^31-1 elements");
            }
        }
        return (int) n;
    }

    /** Row-major strides of a contiguous tensor of this shape. */
    public static int[] contiguousStrides(int... shape) {
        int[] strides = new int[shape.length];
        int s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            strides[d] = s;
            s *= Math.max(shape[d], 1);
        }
        return strides;
    }

    /** NumPy broadcasting of two shapes; the error names the op and both shapes. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b)
                        + " cannot be broadcast together (dimension " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Normalises a possibly negative axis, naming the op and the shape on error. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) {
            throw new IllegalArgumentException(op + ": dimension " + axis + " out of range for a tensor of rank " + rank);
        }
        return a;
    }

    /** Sorted, de-duplicated, normalised axes; an empty array means every axis. */
    public static int[] axes(String op, int[] axes, int rank) {
        if (axes == null || axes.length == 0) {
            int[] all = new int[rank];
            Arrays.setAll(all, i -> i);
            return all;
        }
        boolean[] seen = new boolean[rank];
        for (int a : axes) {
            int n = axis(op, a, rank);
            if (seen[n]) {
                throw new IllegalArgumentException(op + ": dimension " + a + " appears twice in " + Arrays.toString(axes));
            }
            seen[n] = true;
        }
        int[] out = new int[axes.length];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (seen[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** Product of {@code shape[from, to)}. */
    public static int product(int[] shape, int from, int to) {
        int p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    /** Formats a shape as PyTorch does, e.g. {@code [2, 3, 4]}. */
    public static String str(int... shape) {
        return Arrays.toString(shape);
    }
}
