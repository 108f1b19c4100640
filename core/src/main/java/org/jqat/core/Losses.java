package org.jqat.core;

import org.jqat.core.backend.Backend;

/** Loss functions: cross-entropy, temperature-scaled distillation KL, mean squared error. */
final class Losses {
    private Losses() {
    }

    static Tensor crossEntropy(Tensor logits, int[] target, float labelSmoothing) {
        if (logits.shape.length != 2) {
            throw new IllegalArgumentException("crossEntropy: expects logits [N, C], got " + Shape.str(logits.shape));
        }
        int n = logits.shape[0];
        int c = logits.shape[1];
        if (target.length != n) {
            throw new IllegalArgumentException("crossEntropy: " + target.length + " targets for logits of shape " + Shape.str(logits.shape));
        }
        for (int i = 0; i < n; i++) {
            if (target[i] < 0 || target[i] >= c) {
                throw new IndexOutOfBoundsException("crossEntropy: target " + target[i] + " at position " + i
                        + " is not a class index in [0, " + c + ")");
            }
        }
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("crossEntropy: label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        if (n == 0) {
            throw new IllegalArgumentException("crossEntropy: empty batch");
        }
        Tensor logp = logits.logSoftmax(1);
        Tensor nll = pickRows(logp, target).neg();
        Tensor perSample = nll;
        if (labelSmoothing > 0) {
            Tensor smooth = logp.mean(1, false).neg();
            perSample = nll.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing));
        }
        return perSample.mean();
    }

    /** {@code out[r] = x[r, index[r]]} for a 2-D x. */
    static Tensor pickRows(Tensor x, int[] index) {
        int rows = x.shape[0];
        int cols = x.shape[1];
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor out = Tensor.empty(be, rows);
        be.pickRows(xd.storage, rows, cols, index, out.storage);
        return Autograd.record("pickRows", out, g -> {
            Tensor gx = Tensor.empty(be, rows, cols);
            be.scatterRows(g.dense().storage, rows, cols, index, gx.storage);
            return new Tensor[] {gx};
        }, x);
    }

    /**
     * {@code T²·KL(softmax(teacher/T) ‖ softmax(student/T))} averaged over the batch
     * (PyTorch's reduction='batchmean'), the distillation loss of Hinton et al.
     */
    static Tensor distillation(Tensor student, Tensor teacher, float temperature, boolean scaleByT2) {
        if (student.shape.length != 2 || !java.util.Arrays.equals(student.shape, teacher.shape)) {
            throw new IllegalArgumentException("distillation: student " + Shape.str(student.shape) + " and teacher "
                    + Shape.str(teacher.shape) + " must both be [N, C]");
        }
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("distillation: temperature must be positive, got " + temperature);
        }
        Tensor logPt = teacher.div(temperature).logSoftmax(1);
        Tensor logPs = student.div(temperature).logSoftmax(1);
        Tensor kl = logPt.exp().mul(logPt.sub(logPs)).sum();
        float scale = (scaleByT2 ? temperature * temperature : 1f) / student.shape[0];
        return kl.mul(scale);
    }

    static Tensor mse(Tensor input, Tensor target) {
        if (!java.util.Arrays.equals(input.shape, target.shape)) {
            throw new IllegalArgumentException("mse: input " + Shape.str(input.shape) + " and target " + Shape.str(target.shape) + " differ");
        }
        return input.sub(target).square().mean();
    }
}
