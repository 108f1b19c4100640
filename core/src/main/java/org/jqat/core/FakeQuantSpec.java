package org.jqat.core;

/**
 * A per-tensor fake-quantize, {@code y = rint(clamp((x − offset) / scale, qmin, qmax))·scale + offset},
 * as {@link Functional#fakeQuantize} applies it with a one-element scale (and offset), for ops that
 * fuse it into their own kernel ({@link Functional#conv2dFakeQuantInput}). The backward is the
 * same: straight-through inside the range, and the step (and offset) gradients of that op.
 *
 * @param scale          one-element step, may require grad
 * @param offset         one-element offset β, or null for β = 0
 * @param gradScale      factor on the step and offset gradients (LSQ's g)
 * @param stepGradInside whether the step gets the LSQ gradient {@code q − v} inside the range (PACT: false)
 */
public record FakeQuantSpec(Tensor scale, Tensor offset, float qmin, float qmax, float gradScale,
                            boolean stepGradInside) {

    public FakeQuantSpec {
        if (scale == null || scale.numel() != 1 || (offset != null && offset.numel() != 1)) {
            throw new IllegalArgumentException("FakeQuantSpec: a per-tensor fake-quantize needs a one-element scale"
                    + " and offset, got scale " + (scale == null ? "none" : Shape.str(scale.shape))
                    + " and offset " + (offset == null ? "none" : Shape.str(offset.shape)));
        }
    }
}
