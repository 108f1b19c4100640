package org.jqat.core.backend;

/**
 * Layout and constants of a uniform fake-quantize: x is viewed as {@code [outer, channels, inner]}
 * and each channel has its own step s and offset β (per-tensor: one channel).
 *
 * <pre>
 *   v = (x − β) / s,   q = rint(clamp(v, qmin, qmax)),   y = q·s + β
 * </pre>
 *
 * This one form serves LSQ (β = 0), LSQ+ (learnable β), PACT (s = α/qmax, qmin = 0, with
 * {@code stepGradInside = false} so the clip gets PACT's straight-through gradient) and the
 * uniform quantizer inside DoReFa. {@code gradScale} multiplies the step (and offset) gradient,
 * LSQ's g = 1/sqrt(N·Qp).
 */
public record FakeQuantShape(int outer, int channels, int inner, float qmin, float qmax,
                             float gradScale, boolean stepGradInside) {

    public FakeQuantShape {
        if (outer < 0 || channels <= 0 || inner < 0) {
            throw new IllegalArgumentException("fakeQuantize: invalid layout " + this);
        }
        if (!(qmin < qmax) || qmin != Math.rint(qmin) || qmax != Math.rint(qmax)) {
            throw new IllegalArgumentException("fakeQuantize: qmin " + qmin + " and qmax " + qmax
                    + " must be integers with qmin < qmax");
        }
    }

    /** Per-tensor layout over n elements. */
    public static FakeQuantShape perTensor(int n, float qmin, float qmax, float gradScale, boolean stepGradInside) {
        return new FakeQuantShape(1, 1, n, qmin, qmax, gradScale, stepGradInside);
    }

    public int size() {
        return outer * channels * inner;
    }
}
