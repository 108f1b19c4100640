package org.jqat.qat.quant;

import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/**
 * LSQ+ activation quantizer (Bhalgat et al. 2020): asymmetric
 * {@code y = rint(clamp((x − β)/s, qmin, qmax))·s + β} with a learnable step s and a learnable
 * offset β, both with LSQ's gradients scaled by {@code g = 1/sqrt(N·Qp)} (β's gradient is 1
 * outside the range and 0 inside). The range may be signed, for activations that do not follow
 * a ReLU (Swish, the network input).
 *
 * <p>On the first forward s and β are set from that batch's min and max, as the paper's simple
 * initialisation: {@code s = (max − min)/(qmax − qmin)}, {@code β = min − qmin·s}, so the grid
 * spans the observed range. State: parameters {@code step}, {@code offset} ({@code [1]}), buffer
 * {@code initialized}.
 */
public final class LsqPlusQuantizer extends Quantizer {
    private final QuantRange range;
    /** Host mirror of the {@code initialized} buffer: forward checks it every call without a device round trip. */
    private boolean initialized;

    public LsqPlusQuantizer(QuantRange range) {
        if (range.qmax() < 1) {
            throw new IllegalArgumentException("LSQ+ needs qmax >= 1, got range " + range);
        }
        this.range = range;
        registerParameter("step", Tensor.ones(1));
        registerParameter("offset", Tensor.zeros(1));
        registerBuffer("initialized", Tensor.zeros(1));
    }

    public QuantRange range() {
        return range;
    }

    public Tensor step() {
        return param("step");
    }

    public Tensor offset() {
        return param("offset");
    }

    @Override
    public boolean isInitialized() {
        return initialized;
    }

    @Override
    protected void onStateLoaded() {
        initialized = buffer("initialized").item() != 0f;
    }

    @Override
    public int bits() {
        return range.bits();
    }

    @Override
    public String method() {
        return "lsq+";
    }

    /** Sets step and offset and marks the quantizer initialised. */
    public void set(float step, float offset) {
        try (var ng = Autograd.noGrad()) {
            step().fill_(step);
            offset().fill_(offset);
            buffer("initialized").fill_(1f);
        }
        initialized = true;
    }

    public float gradScale(int numel) {
        return (float) (1.0 / Math.sqrt((double) numel * range.qmax()));
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isInitialized()) {
            float[] v = x.detach().toFloatArray();
            double lo = HostStats.min(v, 0, v.length);
            double hi = HostStats.max(v, 0, v.length);
            float s = HostStats.positive((hi - lo) / (range.qmax() - range.qmin()));
            set(s, (float) (lo - range.qmin() * (double) s));
        }
        return Functional.fakeQuantize(x, step(), offset(), -1, range.qmin(), range.qmax(), gradScale(x.numel()), true);
    }

    @Override
    public QuantGrid grid(Tensor x) {
        return new QuantGrid(range.bits(), range.qmin(), range.qmax(), -1, step().toFloatArray(), offset().toFloatArray(), null);
    }
}
