package org.jqat.core;

import org.jqat.core.backend.Backend;
import org.jqat.core.backend.UnaryOp;

/** Batch normalisation over the channel axis (dimension 1) of [N, C, ...] input. */
final class Normalization {
    private Normalization() {
    }

    static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                            boolean training, float momentum, float eps) {
        checkArguments(x, runningMean, runningVar, weight, bias, eps);
        int n = x.shape[0];
        int c = x.shape[1];
        int hw = Shape.product(x.shape, 2, x.shape.length);
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor wd = weight == null ? null : weight.dense();
        Tensor bd = bias == null ? null : bias.dense();
        Tensor y = Tensor.uninitialized(be, x.shape);
        if (!training) {
            requireRunningStats(runningMean, runningVar);
            Tensor rm = runningMean.dense();
            Tensor rv = runningVar.dense();
            be.batchNormEval(xd.storage, n, c, hw, rm.storage, rv.storage,
                    wd == null ? null : wd.storage, bd == null ? null : bd.storage, eps, y.storage);
            return Autograd.record("batchNorm", y, g -> evalBackward(x, g, rm, rv, weight, bias, eps), x, weight, bias);
        }
        int count = trainingCount(x, n * hw);
        Tensor mean = Tensor.empty(be, c);
        Tensor var = Tensor.empty(be, c);
        Tensor invStd = Tensor.empty(be, c);
        be.batchNormTrain(xd.storage, n, c, hw, wd == null ? null : wd.storage, bd == null ? null : bd.storage, eps,
                y.storage, mean.storage, var.storage, invStd.storage);
        updateRunningStats(runningMean, runningVar, mean, var, momentum, count);
        return Autograd.record("batchNorm", y, g -> {
            Tensor gx = x.requiresGrad ? Tensor.uninitialized(be, x.shape) : null;
            Tensor gw = weight != null && weight.requiresGrad ? Tensor.empty(be, c) : null;
            Tensor gb = bias != null && bias.requiresGrad ? Tensor.empty(be, c) : null;
            be.batchNormBackward(xd.storage, g.dense().storage, n, c, hw, wd == null ? null : wd.storage,
                    mean.storage, invStd.storage, gx == null ? null : gx.storage,
                    gw == null ? null : gw.storage, gb == null ? null : gb.storage);
            return new Tensor[] {gx, gw, gb};
        }, x, weight, bias);
    }

    /**
     * {@code relu(batchNorm(x) + residual)} (residual may be null): the tail of a ResNet block. The
     * backend runs it as one kernel forward (and, in training mode, one backward), so neither the
     * normalised tensor nor the pre-activation sum is materialised or kept for backward.
     */
    static Tensor batchNormRelu(Tensor x, Tensor residual, Tensor runningMean, Tensor runningVar, Tensor weight,
                                Tensor bias, boolean training, float momentum, float eps) {
        if (residual != null && !java.util.Arrays.equals(residual.shape, x.shape)) {
            throw new IllegalArgumentException("batchNormRelu: residual of shape " + Shape.str(residual.shape)
                    + " does not match input " + Shape.str(x.shape));
        }
        if (!training) {
            return batchNormReluEval(x, residual, runningMean, runningVar, weight, bias, eps);
        }
        Tensor.sameDevice("batchNormRelu", x, residual);
        int n = x.shape[0], c = x.shape[1], hw = Shape.product(x.shape, 2, x.shape.length);
        checkArguments(x, runningMean, runningVar, weight, bias, eps);
        int count = trainingCount(x, n * hw);
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor rd = residual == null ? null : residual.dense();
        Tensor wd = weight == null ? null : weight.dense();
        Tensor bd = bias == null ? null : bias.dense();
        Tensor y = Tensor.uninitialized(be, x.shape);
        Tensor mean = Tensor.empty(be, c), var = Tensor.empty(be, c), invStd = Tensor.empty(be, c);
        be.batchNormReluTrain(xd.storage, rd == null ? null : rd.storage, n, c, hw, wd == null ? null : wd.storage,
                bd == null ? null : bd.storage, eps, y.storage, mean.storage, var.storage, invStd.storage);
        updateRunningStats(runningMean, runningVar, mean, var, momentum, count);
        return Autograd.record("batchNormRelu", y, g -> {
            boolean needPre = residual != null && residual.requiresGrad;
            Tensor gPre = needPre ? Tensor.uninitialized(be, x.shape) : null;
            Tensor gx = x.requiresGrad ? Tensor.uninitialized(be, x.shape) : null;
            Tensor gw = weight != null && weight.requiresGrad ? Tensor.empty(be, c) : null;
            Tensor gb = bias != null && bias.requiresGrad ? Tensor.empty(be, c) : null;
            be.batchNormReluBackward(xd.storage, y.storage, g.dense().storage, n, c, hw,
                    wd == null ? null : wd.storage, mean.storage, invStd.storage, gPre == null ? null : gPre.storage,
                    gx == null ? null : gx.storage, gw == null ? null : gw.storage, gb == null ? null : gb.storage);
            return new Tensor[] {gx, gw, gb, gPre};
        }, x, weight, bias, residual);
    }

    /**
     * Eval mode of {@link #batchNormRelu}: one kernel forward; backward masks the gradient by
     * {@code y > 0} (the residual's gradient) and reuses {@link #evalBackward}.
     */
    private static Tensor batchNormReluEval(Tensor x, Tensor residual, Tensor runningMean, Tensor runningVar,
                                            Tensor weight, Tensor bias, float eps) {
        checkArguments(x, runningMean, runningVar, weight, bias, eps);
        requireRunningStats(runningMean, runningVar);
        Tensor.sameDevice("batchNormRelu", x, residual);
        int n = x.shape[0], c = x.shape[1], hw = Shape.product(x.shape, 2, x.shape.length);
        Backend be = x.backend();
        Tensor xd = x.dense(), rd = residual == null ? null : residual.dense();
        Tensor rm = runningMean.dense(), rv = runningVar.dense();
        Tensor wd = weight == null ? null : weight.dense(), bd = bias == null ? null : bias.dense();
        Tensor y = Tensor.uninitialized(be, x.shape);
        be.batchNormReluEval(xd.storage, rd == null ? null : rd.storage, n, c, hw, rm.storage, rv.storage,
                wd == null ? null : wd.storage, bd == null ? null : bd.storage, eps, y.storage);
        return Autograd.record("batchNormRelu", y, g -> {
            Tensor gPre = Tensor.uninitialized(be, x.shape);
            be.unaryBackward(UnaryOp.RELU, y.storage, y.storage, g.dense().storage, gPre.storage, x.numel());
            Tensor[] bn = evalBackward(x, gPre, rm, rv, weight, bias, eps);
            return new Tensor[] {bn[0], bn[1], bn[2], residual != null && residual.requiresGrad ? gPre : null};
        }, x, weight, bias, residual);
    }

    /** Eval mode is a per-channel affine map, so its gradients are composed from simple ops. */
    private static Tensor[] evalBackward(Tensor x, Tensor g, Tensor rm, Tensor rv, Tensor weight, Tensor bias, float eps) {
        int[] bshape = channelShape(x);
        Tensor invStd = rv.add(eps).sqrt().reciprocal().reshape(bshape);
        Tensor gx = null;
        if (x.requiresGrad) {
            Tensor scale = weight == null ? invStd : invStd.mul(weight.reshape(bshape));
            gx = g.mul(scale);
        }
        int[] reduce = reduceAxes(x);
        Tensor gw = null;
        if (weight != null && weight.requiresGrad) {
            Tensor xhat = x.detach().sub(rm.reshape(bshape)).mul(invStd);
            gw = g.mul(xhat).sum(reduce, false);
        }
        Tensor gb = bias != null && bias.requiresGrad ? g.sum(reduce, false) : null;
        return new Tensor[] {gx, gw, gb};
    }

    private static int[] channelShape(Tensor x) {
        int[] s = new int[x.shape.length];
        java.util.Arrays.fill(s, 1);
        s[1] = x.shape[1];
        return s;
    }

    private static int[] reduceAxes(Tensor x) {
        int[] axes = new int[x.shape.length - 1];
        axes[0] = 0;
        for (int i = 2; i < x.shape.length; i++) {
            axes[i - 1] = i;
        }
        return axes;
    }

    private static void checkArguments(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                       float eps) {
        if (x.shape.length < 2) {
            throw new IllegalArgumentException("batchNorm: expects input [N, C, ...], got " + Shape.str(x.shape));
        }
        int c = x.shape[1];
        checkChannel("weight", weight, c, x);
        checkChannel("bias", bias, c, x);
        checkChannel("running_mean", runningMean, c, x);
        checkChannel("running_var", runningVar, c, x);
        Tensor.sameDevice("batchNorm", x, weight);
        Tensor.sameDevice("batchNorm", x, bias);
        Tensor.sameDevice("batchNorm", x, runningMean);
        Tensor.sameDevice("batchNorm", x, runningVar);
        if (!(eps > 0)) {
            throw new IllegalArgumentException("batchNorm: eps must be positive, got " + eps);
        }
    }

    private static void requireRunningStats(Tensor runningMean, Tensor runningVar) {
        if (runningMean == null || runningVar == null) {
            throw new IllegalArgumentException("batchNorm: eval mode needs running_mean and running_var");
        }
    }

    /** The values per channel of a training-mode batch norm, which needs more than one. */
    private static int trainingCount(Tensor x, int count) {
        if (count <= 1) {
            throw new IllegalArgumentException("batchNorm: training needs more than one value per channel, got input " + Shape.str(x.shape));
        }
        return count;
    }

    /** PyTorch's update: running = (1 − momentum)·running + momentum·batch, with the unbiased batch variance. */
    private static void updateRunningStats(Tensor runningMean, Tensor runningVar, Tensor mean, Tensor var,
                                           float momentum, int count) {
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            if (runningMean != null) {
                runningMean.affineInPlace_(1 - momentum, 0f).addInPlace_(mean.mul(momentum));
            }
            if (runningVar != null) {
                runningVar.affineInPlace_(1 - momentum, 0f).addInPlace_(var.mul(momentum * count / (float) (count - 1)));
            }
        }
    }

    private static void checkChannel(String name, Tensor t, int c, Tensor x) {
        if (t != null && (t.shape.length != 1 || t.shape[0] != c)) {
            throw new IllegalArgumentException("batchNorm: " + name + " of shape " + Shape.str(t.shape)
                    + " does not match the " + c + " channels of input " + Shape.str(x.shape));
        }
    }
}
