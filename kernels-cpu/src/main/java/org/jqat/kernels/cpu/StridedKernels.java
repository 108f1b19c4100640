package org.jqat.kernels.cpu;

import org.jqat.core.backend.BinaryOp;

/**
 * Strided N-d kernels (broadcasting binary ops and view copies). Dimensions are first coalesced:
 * size-1 axes dropped and neighbours merged where every operand steps through them as one, so an
 * NCHW + per-channel broadcast becomes rows of length H·W with a scalar operand, and a contiguous
 * copy becomes one {@code arraycopy}. Rows then run through vector row kernels.
 */
final class StridedKernels {
    private StridedKernels() {
    }

    /** Coalesced layout: shape[0..rank) and one stride row per operand. */
    private record Layout(int rank, int[] shape, int[][] strides) {
        int inner() {
            return rank == 0 ? 1 : shape[rank - 1];
        }

        int innerStride(int op) {
            return rank == 0 ? 0 : strides[op][rank - 1];
        }

        int rows() {
            int r = 1;
            for (int d = 0; d < rank - 1; d++) {
                r *= shape[d];
            }
            return r;
        }

        /**
         * Steps {@code offsets} (one per operand, at the start of row {@code row}) to row
         * {@code row + 1}: an odometer over the outer axes, {@code index} holding row's position on
         * each ({@link #rowIndex}), so a walk over consecutive rows divides nothing.
         */
        void nextRow(int[] index, int[] offsets) {
            for (int d = rank - 2; d >= 0; d--) {
                for (int o = 0; o < offsets.length; o++) {
                    offsets[o] += strides[o][d];
                }
                if (++index[d] < shape[d]) {
                    return;
                }
                index[d] = 0;
                for (int o = 0; o < offsets.length; o++) {
                    offsets[o] -= shape[d] * strides[o][d];
                }
            }
        }

        /** Row {@code row}'s position on each outer axis. */
        int[] rowIndex(int row) {
            int[] index = new int[Math.max(0, rank - 1)];
            for (int d = rank - 2; d >= 0; d--) {
                index[d] = row % shape[d];
                row /= shape[d];
            }
            return index;
        }

        /** Offset of operand op at the start of row {@code row}. */
        int rowOffset(int op, int row) {
            int off = 0;
            for (int d = rank - 2; d >= 0; d--) {
                int i = row % shape[d];
                row /= shape[d];
                off += i * strides[op][d];
            }
            return off;
        }
    }

    private static Layout coalesce(int[] shape, int[]... strides) {
        int ops = strides.length;
        int[] sh = new int[shape.length];
        int[][] st = new int[ops][shape.length];
        int rank = 0;
        for (int d = 0; d < shape.length; d++) {
            if (shape[d] == 1) {
                continue;
            }
            boolean merge = rank > 0;
            for (int o = 0; o < ops && merge; o++) {
                merge = st[o][rank - 1] == strides[o][d] * shape[d];
            }
            if (merge) {
                sh[rank - 1] *= shape[d];
                for (int o = 0; o < ops; o++) {
                    st[o][rank - 1] = strides[o][d];
                }
            } else {
                sh[rank] = shape[d];
                for (int o = 0; o < ops; o++) {
                    st[o][rank] = strides[o][d];
                }
                rank++;
            }
        }
        return new Layout(rank, sh, st);
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

    private static int rowsPerPart(int inner) {
        return Math.max(1, ElementwiseKernels.GRAIN / Math.max(1, inner));
    }

    static void binary(BinaryOp op, int[] shape, float[] a, int aOff, int[] aStr, float[] b, int bOff, int[] bStr,
                       float[] out) {
        for (int d : shape) {
            if (d == 0) {
                return;
            }
        }
        Layout l = coalesce(shape, aStr, bStr, contiguousStrides(shape));
        int inner = l.inner(), rows = l.rows(), as = l.innerStride(0), bs = l.innerStride(1);
        if (rows == 1) {
            // one long row (contiguous operands, or one broadcast to the other): split the row itself
            int a0 = aOff + l.rowOffset(0, 0), b0 = bOff + l.rowOffset(1, 0), o0 = l.rowOffset(2, 0);
            Parallel.forRange(inner, ElementwiseKernels.GRAIN, (lo, hi) -> ElementwiseKernels.binaryRow(op,
                    a, a0 + lo * as, as, b, b0 + lo * bs, bs, out, o0 + lo, hi - lo));
            return;
        }
        Parallel.forRange(rows, rowsPerPart(inner), (lo, hi) -> {
            for (int r = lo; r < hi; r++) {
                ElementwiseKernels.binaryRow(op, a, aOff + l.rowOffset(0, r), as, b, bOff + l.rowOffset(1, r), bs,
                        out, l.rowOffset(2, r), inner);
            }
        });
    }

    static void copy(int[] shape, float[] src, int srcOff, int[] srcStr, float[] dst, int dstOff, int[] dstStr) {
        for (int d : shape) {
            if (d == 0) {
                return;
            }
        }
        Layout l = coalesce(shape, srcStr, dstStr);
        int inner = l.inner(), rows = l.rows(), ss = l.innerStride(0), ds = l.innerStride(1);
        Parallel.forRange(rows, rowsPerPart(inner), (lo, hi) -> {
            // views copied row by row (an option-A shortcut's subsampled input: rows of 8 or 16 values)
            int[] index = l.rowIndex(lo);
            int[] at = {srcOff + l.rowOffset(0, lo), dstOff + l.rowOffset(1, lo)};
            for (int r = lo; r < hi; r++) {
                int s = at[0], t = at[1];
                if (ss == 1 && ds == 1) {
                    System.arraycopy(src, s, dst, t, inner);
                } else if (ds == 1) {
                    ElementwiseKernels.gatherStrided(src, s, ss, dst, t, inner);
                } else {
                    for (int i = 0; i < inner; i++) {
                        dst[t + i * ds] = src[s + i * ss];
                    }
                }
                l.nextRow(index, at);
            }
        });
    }
}
