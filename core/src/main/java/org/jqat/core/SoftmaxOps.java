package org.jqat.core;

import org.jqat.core.backend.Backend;

/** Softmax and log-softmax along any dimension. */
final class SoftmaxOps {
    private SoftmaxOps() {
    }

    static Tensor softmax(Tensor x, int dim, boolean log) {
        String op = log ? "logSoftmax" : "softmax";
        int rank = x.shape.length;
        if (rank == 0) {
            return softmax(x.reshape(1), 0, log).reshape();
        }
        int d = Shape.axis(op, dim, rank);
        if (d != rank - 1) {
            // Move the axis last, run the row kernel, move it back; autograd follows the views.
            return softmax(x.transpose(d, rank - 1), rank - 1, log).transpose(d, rank - 1);
        }
        int cols = x.shape[d];
        int rows = cols == 0 ? 0 : x.numel() / cols;
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor y = Tensor.empty(be, x.shape);
        be.softmax(xd.storage, y.storage, rows, cols, log);
        return Autograd.record(op, y, g -> {
            Tensor gx = Tensor.empty(be, x.shape);
            be.softmaxBackward(y.storage, g.dense().storage, gx.storage, rows, cols, log);
            return new Tensor[] {gx};
        }, x);
    }
}
