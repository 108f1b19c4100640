package org.jqat.core;

import org.jqat.core.backend.Backend;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.FakeQuantShape;

/** The differentiable fake-quantize op over the backend's fused kernels. */
final class FakeQuant {
    private FakeQuant() {
    }

    static Tensor fakeQuantize(Tensor x, Tensor scale, Tensor offset, int axis, float qmin, float qmax,
                               float gradScale, boolean stepGradInside) {
        int channels = scale.numel();
        if (scale.dim() > 1 || (offset != null && (offset.dim() > 1 || offset.numel() != channels))) {
            throw new IllegalArgumentException("fakeQuantize: scale " + Shape.str(scale.shape) + " and offset "
                    + (offset == null ? "none" : Shape.str(offset.shape)) + " must be vectors of equal length");
        }
        FakeQuantShape s;
        if (axis < 0 || channels == 1 && x.dim() == 0) {
            if (channels != 1) {
                throw new IllegalArgumentException("fakeQuantize: per-tensor quantization needs one scale, got " + Shape.str(scale.shape));
            }
            s = FakeQuantShape.perTensor(x.numel(), qmin, qmax, gradScale, stepGradInside);
        } else {
            int a = Shape.axis("fakeQuantize", axis, x.dim());
            if (x.shape[a] != channels) {
                throw new IllegalArgumentException("fakeQuantize: " + channels + " scales for axis " + axis
                        + " of input " + Shape.str(x.shape));
            }
            s = new FakeQuantShape(Shape.product(x.shape, 0, a), channels, Shape.product(x.shape, a + 1, x.dim()),
                    qmin, qmax, gradScale, stepGradInside);
        }
        Tensor.sameDevice("fakeQuantize", x, scale);
        Tensor.sameDevice("fakeQuantize", x, offset);
        Backend be = x.backend();
        Tensor xd = x.dense();
        Tensor sd = scale.dense();
        Tensor od = offset == null ? null : offset.dense();
        Tensor y = Tensor.uninitialized(be, x.shape);
        BitMask mask = be.allocateMask(x.numel());
        be.fakeQuantize(s, xd.storage, sd.storage, od == null ? null : od.storage, y.storage, mask);
        FakeQuantShape shape = s;
        Tensor out = Autograd.record("fakeQuantize", y, g -> {
            Tensor gx = x.requiresGrad ? Tensor.uninitialized(be, x.shape) : null;
            Tensor gs = scale.requiresGrad ? Tensor.empty(be, scale.shape) : null;
            Tensor go = offset != null && offset.requiresGrad ? Tensor.empty(be, offset.shape) : null;
            be.fakeQuantizeBackward(shape, xd.storage, g.dense().storage, sd.storage, od == null ? null : od.storage, mask,
                    gx == null ? null : gx.storage, gs == null ? null : gs.storage, go == null ? null : go.storage);
            mask.close(); // a graph runs backward once: the mask is done
            return new Tensor[] {gx, gs, go};
        }, x, scale, offset);
        if (out.node == null) {
            mask.close(); // nothing recorded (no-grad, or no input needs a gradient): no backward will read it
        } else if (y.storage.freesMemory()) {
            TensorScope.closeWithScope(mask); // device memory, for a graph whose backward never runs
        }
        return out;
    }
}
