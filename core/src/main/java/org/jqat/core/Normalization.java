package org.jqat.core;

import org.jqat.core.backend.Backend;

/** Batch normalisation over the channel axis (dimension 1) of [N, C, ...] input. */
final class Normalization {
    private Normalization() {
    }

    static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                            boolean training, float momentum, float eps) {
        if (x.shape.length < 2) {
            throw new IllegalArgumentException("batchNorm: expects input [N, C, ...], got " + Shape.str(x.shape));
        }
        int n = x.shape[0];
        int c = x.shape[1];
        int hw = Shape.product(x.shape, 2, x.shape.length);
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
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor wd = weight == null ? null : weight.dense();
        Tensor bd = bias == null ? null : bias.dense();
        Tensor y = Tensor.empty(be, x.shape);
        if (!training) {
            if (runningMean == null || runningVar == null) {
                throw new IllegalArgumentException("batchNorm: eval mode needs running_mean and running_var");
            }
            Tensor rm = runningMean.dense();
            Tensor rv = runningVar.dense();
            be.batchNormEval(xd.storage, n, c, hw, rm.storage, rv.storage,
                    wd == null ? null : wd.storage, bd == null ? null : bd.storage, eps, y.storage);
            return Autograd.record("batchNorm", y, g -> evalBackward(x, g, rm, rv, weight, bias, eps), x, weight, bias);
        }
        int count = n * hw;
        if (count <= 1) {
            throw new IllegalArgumentException("batchNorm: training needs more than one value per channel, got input " + Shape.str(x.shape));
        }
        Tensor mean = Tensor.empty(be, c);
        Tensor var = Tensor.empty(be, c);
        Tensor invStd = Tensor.empty(be, c);
        be.batchNormTrain(xd.storage, n, c, hw, wd == null ? null : wd.storage, bd == null ? null : bd.storage, eps,
                y.storage, mean.storage, var.storage, invStd.storage);
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            // PyTorch updates the running variance with the unbiased batch variance.
            if (runningMean != null) {
                runningMean.affineInPlace_(1 - momentum, 0f).addInPlace_(mean.mul(momentum));
            }
            if (runningVar != null) {
                runningVar.affineInPlace_(1 - momentum, 0f).addInPlace_(var.mul(momentum * count / (float) (count - 1)));
            }
        }
        return Autograd.record("batchNorm", y, g -> {
            Tensor gx = x.requiresGrad ? Tensor.empty(be, x.shape) : null;
            Tensor gw = weight != null && weight.requiresGrad ? Tensor.empty(be, c) : null;
            Tensor gb = bias != null && bias.requiresGrad ? Tensor.empty(be, c) : null;
            be.batchNormBackward(xd.storage, g.dense().storage, n, c, hw, wd == null ? null : wd.storage,
                    mean.storage, invStd.storage, gx == null ? null : gx.storage,
                    gw == null ? null : gw.storage, gb == null ? null : gb.storage);
            return new Tensor[] {gx, gw, gb};
        }, x, weight, bias);
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

    private static void checkChannel(String name, Tensor t, int c, Tensor x) {
        if (t != null && (t.shape.length != 1 || t.shape[0] != c)) {
            throw new IllegalArgumentException("batchNorm: " + name + " of shape " + Shape.str(t.shape)
                    + " does not match the " + c + " channels of input " + Shape.str(x.shape));
        }
    }
}
