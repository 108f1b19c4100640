package org.jqat.core;

import org.jqat.core.backend.Backend;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.Storage;
import org.jqat.core.backend.UnaryOp;

/** 2-D convolution (NCHW) with stride, padding, dilation and groups. */
final class Convolution {
    private Convolution() {
    }

    static Tensor conv2d(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        Conv2dShape s = shape(x, w, bias, stride, padding, dilation, groups);
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor wd = w.dense();
        Tensor bd = bias == null ? null : bias.dense();
        Tensor y = Tensor.uninitialized(be, s.n(), s.cOut(), s.outH(), s.outW());
        be.conv2d(s, xd.storage, wd.storage, bd == null ? null : bd.storage, y.storage);
        return Autograd.record("conv2d", y, g -> gradients(s, be, x, xd, w, wd, bias, g.dense()), x, w, bias);
    }

    /** The gradients of x, w and bias (each null unless it requires one) for the output gradient gy. */
    private static Tensor[] gradients(Conv2dShape s, Backend be, Tensor x, Tensor xd, Tensor w, Tensor wd, Tensor bias,
                                      Tensor gy) {
        Tensor gx = null;
        Tensor gw = null;
        if (w.requiresGrad) {
            // A parameter's gradient (or a quantized parameter's, through its quantizer) is read by
            // nothing in the pass: it may overlap the input gradient and what follows. The output
            // is made here, in the caller's TensorScope, whichever thread fills it.
            Tensor out = Tensor.uninitialized(be, w.shape);
            Runnable weightGradient = () -> be.conv2dBackwardWeight(s, xd.storage, gy.storage, out.storage);
            boolean submitted = submitWeightGradient(be, x, w, out, weightGradient);
            if (!submitted) {
                weightGradient.run();
            }
            // a quantized weight's gradient, when submitted, reaches its op through the task
            gw = submitted && w.node != null ? null : out;
        }
        if (x.requiresGrad) {
            gx = Tensor.uninitialized(be, x.shape);
            be.conv2dBackwardData(s, gy.storage, wd.storage, gx.storage);
        }
        return new Tensor[] {gx, gw, biasGradient(s, be, bias, gy)};
    }

    /**
     * {@code conv2d(fakeQuantize(x, q), w, bias)} without keeping the quantized input: the backend
     * may quantize while it lays the input out, and only x is saved for backward. The backward
     * recomputes fq(x) and its mask (the same values, so the result equals the unfused pair's), then
     * runs the fake-quantize backward on the input gradient and the weight gradient on fq(x).
     */
    static Tensor conv2dFakeQuantInput(Tensor x, FakeQuantSpec q, Tensor w, Tensor bias, int[] stride, int[] padding,
                                       int[] dilation, int groups) {
        Conv2dShape s = shape(x, w, bias, stride, padding, dilation, groups);
        Tensor.sameDevice("conv2dFakeQuantInput", x, q.scale());
        Tensor.sameDevice("conv2dFakeQuantInput", x, q.offset());
        FakeQuantShape fq = FakeQuantShape.perTensor(x.numel(), q.qmin(), q.qmax(), q.gradScale(), q.stepGradInside());
        Tensor scale = q.scale(), offset = q.offset();
        Backend be = x.backend();
        Tensor xd = x.dense(), wd = w.dense(), bd = bias == null ? null : bias.dense();
        Tensor sd = scale.dense(), od = offset == null ? null : offset.dense();
        Tensor y = Tensor.uninitialized(be, s.n(), s.cOut(), s.outH(), s.outW());
        be.conv2dFakeQuantInput(s, fq, xd.storage, sd.storage, od == null ? null : od.storage, wd.storage,
                bd == null ? null : bd.storage, y.storage);
        return Autograd.record("conv2dFakeQuantInput", y, g -> {
            Tensor gd = g.dense();
            Tensor gx = x.requiresGrad ? Tensor.uninitialized(be, x.shape) : null;
            Tensor gs = scale.requiresGrad ? Tensor.empty(be, scale.shape) : null;
            Tensor go = offset != null && offset.requiresGrad ? Tensor.empty(be, offset.shape) : null;
            Tensor gw = w.requiresGrad ? Tensor.uninitialized(be, w.shape) : null;
            boolean submitted = false;
            if (gw != null) {
                Tensor out = gw;
                submitted = submitWeightGradient(be, x, w, out, () -> be.conv2dFakeQuantInputBackward(s, fq, xd.storage,
                        sd.storage, od == null ? null : od.storage, wd.storage, gd.storage, null, null, null, out.storage));
            }
            be.conv2dFakeQuantInputBackward(s, fq, xd.storage, sd.storage, od == null ? null : od.storage, wd.storage,
                    gd.storage, gx == null ? null : gx.storage, gs == null ? null : gs.storage,
                    go == null ? null : go.storage, gw == null || submitted ? null : gw.storage);
            if (submitted && w.node != null) {
                gw = null; // the task hands it to w's op (Autograd.submitThroughLeafOp)
            }
            return new Tensor[] {gx, gw, biasGradient(s, be, bias, gd), gs, go};
        }, x, w, bias, scale, offset);
    }

    /**
     * {@code relu?(conv2d(x, w, bias) + residual)} as one op: the backend writes each output once,
     * and the backward applies the ReLU mask once ({@code gPre = gy·[y > 0]}, which is also the
     * residual's gradient) before the convolution's own data and weight gradients.
     */
    static Tensor conv2dFused(Tensor x, Tensor w, Tensor bias, Tensor residual, boolean relu, int[] stride, int[] padding,
                              int[] dilation, int groups) {
        Conv2dShape s = shape(x, w, bias, stride, padding, dilation, groups);
        if (residual != null && !java.util.Arrays.equals(residual.shape, new int[] {s.n(), s.cOut(), s.outH(), s.outW()})) {
            throw new IllegalArgumentException("conv2dFused: residual " + Shape.str(residual.shape) + " does not match the output ["
                    + s.n() + ", " + s.cOut() + ", " + s.outH() + ", " + s.outW() + "]");
        }
        Tensor.sameDevice("conv2dFused", x, residual);
        Backend be = x.backend();
        Tensor xd = x.dense(), wd = w.dense(), bd = bias == null ? null : bias.dense();
        Tensor rd = residual == null ? null : residual.dense();
        Tensor y = Tensor.uninitialized(be, s.n(), s.cOut(), s.outH(), s.outW());
        be.conv2dFused(s, xd.storage, wd.storage, bd == null ? null : bd.storage, rd == null ? null : rd.storage, relu,
                y.storage);
        return Autograd.record("conv2dFused", y, g -> {
            Tensor gd = g.dense();
            Tensor gPre = gd;
            if (relu) {
                gPre = Tensor.uninitialized(be, y.shape);
                be.unaryBackward(UnaryOp.RELU, y.storage, y.storage, gd.storage, gPre.storage, y.numel());
            }
            Tensor[] conv = gradients(s, be, x, xd, w, wd, bias, gPre);
            Tensor gr = residual != null && residual.requiresGrad ? (gPre == gd ? gd.contiguousCopy() : gPre) : null;
            return new Tensor[] {conv[0], conv[1], conv[2], gr};
        }, x, w, bias, residual);
    }

    /**
     * Hands {@code compute} (which fills {@code out}, the gradient of w) to the backend's background
     * work when the input x needs a gradient too (something for it to overlap) and w is a leaf
     * ({@link Autograd#submitLeafGradient}) or the output of an op on leaves read only here
     * ({@link Autograd#submitThroughLeafOp}: the caller then returns no gradient for w). Returns
     * false, having run nothing, otherwise.
     */
    private static boolean submitWeightGradient(Backend be, Tensor x, Tensor w, Tensor out, Runnable compute) {
        if (!x.requiresGrad) {
            return false;
        }
        if (w.node == null) {
            Autograd.submitLeafGradient(be, compute);
            return true;
        }
        return Autograd.submitThroughLeafOp(be, w, () -> {
            compute.run();
            return out;
        });
    }

    private static Tensor biasGradient(Conv2dShape s, Backend be, Tensor bias, Tensor gd) {
        if (bias == null || !bias.requiresGrad) {
            return null;
        }
        Tensor gb = Tensor.empty(be, s.cOut());
        be.channelSum(gd.storage, s.n(), s.cOut(), s.outH() * s.outW(), gb.storage);
        return gb;
    }

    /** Validates a conv2d's operands and computes its geometry, naming the shapes in any error. */
    private static Conv2dShape shape(Tensor x, Tensor w, Tensor bias, int[] stride, int[] padding, int[] dilation,
                                     int groups) {
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
        return s;
    }
}
