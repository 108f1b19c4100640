package org.jqat.core;

import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Pool2dShape;

/** Max and average pooling over NCHW input, and global average pooling. */
final class Pooling {
    private Pooling() {
    }

    private static Pool2dShape shape(String op, Tensor x, int[] kernel, int[] stride, int[] padding) {
        if (x.shape.length != 4) {
            throw new IllegalArgumentException(op + ": expects input [N, C, H, W], got " + Shape.str(x.shape));
        }
        Pool2dShape s = new Pool2dShape(x.shape[0] * x.shape[1], x.shape[2], x.shape[3], kernel[0], kernel[1],
                stride[0], stride[1], padding[0], padding[1]);
        if (s.outH() <= 0 || s.outW() <= 0) {
            throw new IllegalArgumentException(op + ": input " + Shape.str(x.shape) + " is smaller than kernel " + Shape.str(kernel));
        }
        return s;
    }

    static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        Pool2dShape s = shape("maxPool2d", x, kernel, stride, padding);
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor y = Tensor.empty(be, x.shape[0], x.shape[1], s.outH(), s.outW());
        be.maxPool2d(s, xd.storage, y.storage);
        return Autograd.record("maxPool2d", y, g -> {
            Tensor gx = Tensor.empty(be, x.shape);
            be.maxPool2dBackward(s, xd.storage, g.dense().storage, gx.storage);
            return new Tensor[] {gx};
        }, x);
    }

    static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        Pool2dShape s = shape("avgPool2d", x, kernel, stride, padding);
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor y = Tensor.empty(be, x.shape[0], x.shape[1], s.outH(), s.outW());
        be.avgPool2d(s, xd.storage, y.storage);
        return Autograd.record("avgPool2d", y, g -> {
            Tensor gx = Tensor.empty(be, x.shape);
            be.avgPool2dBackward(s, g.dense().storage, gx.storage);
            return new Tensor[] {gx};
        }, x);
    }

    /** Mean over H and W, keeping them as size 1: {@code [N, C, 1, 1]}. */
    static Tensor globalAvgPool2d(Tensor x) {
        if (x.shape.length != 4) {
            throw new IllegalArgumentException("globalAvgPool2d: expects input [N, C, H, W], got " + Shape.str(x.shape));
        }
        return x.mean(new int[] {2, 3}, true);
    }
}
