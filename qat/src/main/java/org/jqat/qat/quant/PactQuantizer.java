package org.jqat.qat.quant;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/**
 * PACT activation quantizer (Choi et al. 2018):
 * {@code y = rint(clamp(x, 0, α)·(2^k−1)/α)·α/(2^k−1)} with a learnable clip α.
 *
 * <p>It is the fused fake-quantize with {@code s = α/(2^k−1)}, levels {@code [0, 2^k−1]} and
 * {@code stepGradInside = false}: the kernel's step gradient is then {@code qmax·gy} for
 * {@code x/s > qmax} (x above α) and 0 elsewhere; autograd multiplies by {@code ds/dα = 1/qmax},
 * so with gradScale 1 {@code ∂L/∂α = Σ_{x > α} ∂L/∂y}, PACT's straight-through clip gradient
 * (x exactly equal to α counts as inside the range and gives 0). x gets 1 on [0, α], 0 outside.
 *
 * <p>State: parameter {@code alpha} ({@code [1]}). The paper's L2 penalty on α is left to the
 * optimizer (the QAT parameter group has weight decay 0 by default).
 */
public final class PactQuantizer extends Quantizer {
    private final QuantRange range;

    public PactQuantizer(int bits, float initAlpha) {
        if (!(initAlpha > 0)) {
            throw new IllegalArgumentException("PACT: initial alpha must be > 0, got " + initAlpha);
        }
        this.range = QuantRange.unsigned(bits);
        registerParameter("alpha", Tensor.of(initAlpha));
    }

    public Tensor alpha() {
        return param("alpha");
    }

    @Override
    public int bits() {
        return range.bits();
    }

    @Override
    public String method() {
        return "pact";
    }

    /** The step α/(2^k−1), as a differentiable function of α. */
    private Tensor step() {
        return alpha().div((float) range.qmax());
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.fakeQuantize(x, step(), null, -1, 0, range.qmax(), 1f, false);
    }

    @Override
    public QuantGrid grid(Tensor x) {
        // the same tensor op as forward, so the stored scale is bit-identical to the one used
        float s = step().detach().item();
        return new QuantGrid(range.bits(), 0, range.qmax(), -1, new float[] {s}, null, null);
    }
}
