package org.jqat.qat.quant;

import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/**
 * DoReFa-Net weight quantizer (Zhou et al. 2016), no learnable parameters.
 *
 * <p>k ≥ 2 bits: {@code w_q = 2·quantize_k(tanh(w)/(2·max|tanh(w)|) + 1/2) − 1}, where
 * {@code quantize_k(u) = rint(u·(2^k−1))/(2^k−1)} is the fused fake-quantize with
 * {@code s = 1/(2^k−1)}, levels {@code [0, 2^k−1]}. The normalised u lies in [0, 1], so the
 * straight-through gradient passes everywhere and autograd differentiates tanh and the max as
 * the reference implementation does.
 *
 * <p>k = 1: {@code w_q = E·sign(w)}, {@code E = mean|w|} (treated as a constant, as the paper).
 * The forward is one fake-quantize of w onto the two levels {@code ±M} ({@code M = max|w|},
 * s = 2M, β = −M) times {@code E/M}; the backward is the paper's straight-through estimator,
 * {@code ∂L/∂w = ∂L/∂w_q}, recorded as a custom autograd op. sign(0) is −1 here (rint(0.5) = 0).
 */
public final class DoReFaWeightQuantizer extends Quantizer {
    private final int bits;

    public DoReFaWeightQuantizer(int bits) {
        this.bits = QuantRange.checkBits(bits);
    }

    @Override
    public int bits() {
        return bits;
    }

    @Override
    public String method() {
        return "dorefa";
    }

    private int levels() {
        return (1 << bits) - 1;
    }

    /** The k-bit uniform step 1/(2^k − 1) as the forward uses it. */
    private float unitStep() {
        return 1f / levels();
    }

    @Override
    public Tensor forward(Tensor w) {
        if (bits == 1) {
            Tensor out;
            try (Autograd.NoGrad ignored = Autograd.noGrad()) {
                // E and M stay on w's device: no host round trip per layer and step
                Tensor[] em = meanAndMax(w);
                Tensor m = em[1];
                out = Functional.fakeQuantize(w, m.mul(2f), m.neg(), -1, 0, 1, 0f, true).mul(em[0].div(m));
            }
            return Autograd.record("dorefaSign", out, g -> new Tensor[] {g}, w);
        }
        Tensor t = w.tanh();
        Tensor u = t.div(t.abs().max().mul(2f)).add(0.5f);
        Tensor q = Functional.fakeQuantize(u, Tensor.of(unitStep()).to(u.device()), null, -1, 0, levels(), 0f, true);
        return q.mul(2f).sub(1f);
    }

    /**
     * {E = mean|w|, M = max|w|} as one-element tensors on w's device, with M = 1 for an all-zero
     * tensor so nothing divides by zero.
     */
    private static Tensor[] meanAndMax(Tensor w) {
        Tensor a = w.detach().abs();
        Tensor e = a.mean().reshape(1);
        Tensor max = a.max().reshape(1);
        Tensor m = max.add(max.eq(Tensor.zeros(1).to(w.device()))); // 0 becomes 1, anything else stays
        return new Tensor[] {e, m};
    }

    @Override
    public QuantGrid grid(Tensor w) {
        if (bits == 1) {
            // forward gives ±fl(M·fl(E/M)) exactly; with S = 2E', β = −E' the codes 0/1 give the same floats
            Tensor[] emT;
            try (Autograd.NoGrad ignored = Autograd.noGrad()) {
                emT = meanAndMax(w);
            }
            float[] em = {emT[0].item(), emT[1].item()};
            float ePrime = em[1] * (em[0] / em[1]);
            return new QuantGrid(1, 0, 1, -1, new float[] {2 * ePrime}, new float[] {-ePrime}, null);
        }
        // y = 2·(q·s) − 1 = q·(2s) − 1 exactly: doubling is exact in binary floating point
        return new QuantGrid(bits, 0, levels(), -1, new float[] {2 * unitStep()}, new float[] {-1f}, null);
    }
}
