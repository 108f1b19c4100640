package org.jqat.core;

import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Conv2dShape;

/** 2-D convolution (NCHW) with stride, padding, dilation and groups. */
final class Convolution {
    private Convolution() {
    }

    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        if (x.shape.length != 4 || w.shape.length != 4) {
            throw new IllegalArgumentException("conv2d: expects input [N, C, H, W] and weight [C_out, C_in/groups, kH, kW], got input "
                    + Shape.str(x.shape) + " and weight " + Shape.str(w.shape));
        }
        Tensor.sameDevice("conv2d", x, w);
        Tensor.sameDevice("conv2d", x, bias);
        int cIn = x.shape[1];
        if (groups <= 0 || cIn % groups != 0 || w.shape[1] * groups != cIn) {
            throw new IllegalArgumentException("conv2d: input " + Shape.str(x.shape) + " has " + cIn
                    + " channels but weight " + Shape.str(w.shape) + " with groups=" + groups + " expects " + (w.shape[1] * groups));
        }
        if (bias != null && (bias.shape.length != 1 || bias.shape[0] != w.shape[0])) {
            throw new IllegalArgumentException("conv2d: bias of shape " + Shape.str(bias.shape) + " does not match weight " + Shape.str(w.shape));
        }
        Conv2dShape s = new Conv2dShape(x.shape[0], cIn, x.shape[2], x.shape[3], w.shape[0], w.shape[2], w.shape[3],
                stride[0], stride[1], padding[0], padding[1], dilation[0], dilation[1], groups);
        if (s.outH() <= 0 || s.outW() <= 0) {
            throw new IllegalArgumentException("conv2d: input " + Shape.str(x.shape) + " is too small for kernel "
                    + Shape.str(w.shape) + " with padding " + Shape.str(padding) + " and dilation " + Shape.str(dilation));
        }
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor wd = w.dense();
        Tensor bd = bias == null ? null : bias.dense();
        Tensor y = Tensor.empty(be, s.n(), s.cOut(), s.outH(), s.outW());
        be.conv2d(s, xd.storage, wd.storage, bd == null ? null : bd.storage, y.storage);
        return Autograd.record("conv2d", y, g -> {
            Tensor gd = g.dense();
            Tensor gx = null;
            Tensor gw = null;
            Tensor gb = null;
            if (x.requiresGrad) {
                gx = Tensor.empty(be, x.shape);
                be.conv2dBackwardData(s, gd.storage, wd.storage, gx.storage);
            }
            if (w.requiresGrad) {
                gw = Tensor.empty(be, w.shape);
                be.conv2dBackwardWeight(s, xd.storage, gd.storage, gw.storage);
            }
            if (bias != null && bias.requiresGrad) {
                gb = Tensor.empty(be, s.cOut());
                be.channelSum(gd.storage, s.n(), s.cOut(), s.outH() * s.outW(), gb.storage);
            }
            return new Tensor[] {gx, gw, gb};
        }, x, w, bias);
    }
}
