package org.jqat.core;

import java.util.Arrays;
import org.jqat.core.backend.Backend;

/** Matrix products on top of the backend's GEMM. */
final class LinearAlgebra {
    private LinearAlgebra() {
    }

    static Tensor matmul(Tensor a, Tensor b) {
        Tensor.sameDevice("matmul", a, b);
        int ra = a.shape.length;
        int rb = b.shape.length;
        if (ra == 0 || rb == 0) {
            throw new IllegalArgumentException("matmul: both operands need at least one dimension, got "
                    + Shape.str(a.shape) + " and " + Shape.str(b.shape));
        }
        if (ra == 1 && rb == 1) {
            return matmul(a.unsqueeze(0), b.unsqueeze(1)).reshape();
        }
        if (ra == 1) {
            return matmul(a.unsqueeze(0), b).squeeze(-2);
        }
        if (rb == 1) {
            return matmul(a, b.unsqueeze(1)).squeeze(-1);
        }
        if (ra == 2 && rb == 2) {
            return mm(a, b);
        }
        return batched(a, b);
    }

    /** Gradient-recording 2-D product. */
    private static Tensor mm(Tensor a, Tensor b) {
        int m = a.shape[0];
        int k = a.shape[1];
        int n = b.shape[1];
        if (b.shape[0] != k) {
            throw shapeError(a, b);
        }
        Backend be = a.backend();
        Tensor out = Tensor.empty(be, m, n);
        gemm(be, a, b, out, 0);
        return Autograd.record("matmul", out, g -> new Tensor[] {
            a.requiresGrad ? mm(g, b.t()) : null,
            b.requiresGrad ? mm(a.t(), g) : null
        }, a, b);
    }

    /** Writes a·b into {@code out} at {@code outOffset}; reads transposed views without copying. */
    private static void gemm(Backend be, Tensor a, Tensor b, Tensor out, int outOffset) {
        int m = a.shape[0];
        int k = a.shape[1];
        int n = b.shape[1];
        Operand pa = Operand.of(a);
        Operand pb = Operand.of(b);
        be.gemm(pa.transposed, pb.transposed, m, n, k, 1f, pa.t.storage, pa.t.offset, pa.ld,
                pb.t.storage, pb.t.offset, pb.ld, 0f, out.storage, outOffset, n);
    }

    /** A 2-D operand as GEMM sees it: row-major, or the transpose of a row-major matrix. */
    private record Operand(Tensor t, boolean transposed, int ld) {
        static Operand of(Tensor x) {
            int rows = x.shape[0];
            int cols = x.shape[1];
            if (x.strides[1] == 1 && (x.strides[0] >= cols || rows == 1)) {
                return new Operand(x, false, Math.max(x.strides[0], Math.max(cols, 1)));
            }
            if (x.strides[0] == 1 && (x.strides[1] >= rows || cols == 1)) {
                return new Operand(x, true, Math.max(x.strides[1], Math.max(rows, 1)));
            }
            Tensor d = x.contiguousCopy();
            return new Operand(d, false, Math.max(cols, 1));
        }
    }

    private static Tensor batched(Tensor a, Tensor b) {
        int ra = a.shape.length;
        int rb = b.shape.length;
        int m = a.shape[ra - 2];
        int k = a.shape[ra - 1];
        int n = b.shape[rb - 1];
        if (b.shape[rb - 2] != k) {
            throw shapeError(a, b);
        }
        int[] batch = Shape.broadcast("matmul", Arrays.copyOf(a.shape, ra - 2), Arrays.copyOf(b.shape, rb - 2));
        int batches = Shape.numel(batch);
        Tensor ae = a.expand(concat(batch, m, k)).contiguous();
        Tensor bx = b.expand(concat(batch, k, n)).contiguous();
        Tensor a3 = ae.reshape(batches, m, k);
        Tensor b3 = bx.reshape(batches, k, n);
        Backend be = a.backend();
        Tensor out = Tensor.empty(be, concat(batch, m, n));
        for (int i = 0; i < batches; i++) {
            be.gemm(false, false, m, n, k, 1f, a3.storage, a3.offset + i * m * k, Math.max(k, 1),
                    b3.storage, b3.offset + i * k * n, Math.max(n, 1), 0f, out.storage, i * m * n, Math.max(n, 1));
        }
        return Autograd.record("matmul", out, g -> new Tensor[] {
            a.requiresGrad ? Elementwise.sumToShape(matmul(g, b.transpose(-1, -2)), a.shape) : null,
            b.requiresGrad ? Elementwise.sumToShape(matmul(a.transpose(-1, -2), g), b.shape) : null
        }, a, b);
    }

    private static int[] concat(int[] batch, int r, int c) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }

    private static IllegalArgumentException shapeError(Tensor a, Tensor b) {
        return new IllegalArgumentException("matmul: shapes " + Shape.str(a.shape) + " and " + Shape.str(b.shape)
                + " cannot be multiplied (inner sizes differ)");
    }
}
