package org.jqat.qat.quant;

import org.jqat.core.Autograd;
import org.jqat.core.FakeQuantSpec;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/**
 * Learned Step Size Quantization (Esser et al. 2020): {@code y = rint(clamp(x/s, −Qn, Qp))·s}
 * with a learnable step s, straight-through gradient for x inside the range, and LSQ's step
 * gradient (inside {@code rint(v) − v}, outside the clamped bound) scaled by
 * {@code g = 1/sqrt(N·Qp)}, N the number of elements sharing a step (numel per tensor,
 * numel/channels per channel).
 *
 * <p>The step is initialised on the first forward, from that tensor: {@code 2·mean(|x|)/sqrt(Qp)}
 * (LSQ) or {@code max(|μ−3σ|, |μ+3σ|)/2^(b−1)} (LSQ+'s weight rule), per channel when per-channel.
 * The {@code initialized} buffer records that, so loading a state dict skips re-initialisation.
 *
 * <p>State: parameter {@code step} ({@code [channels]}, {@code [1]} per tensor), buffer
 * {@code initialized} ({@code [1]}, 0 or 1).
 */
public final class LsqQuantizer extends Quantizer {
    /** How the step is initialised on the first forward. */
    public enum Init {
        /** LSQ: {@code 2·mean(|x|)/sqrt(Qp)}. */
        MEAN_ABS,
        /** LSQ+ weights: {@code max(|μ−3σ|, |μ+3σ|)/2^(b−1)}. */
        THREE_SIGMA
    }

    private final QuantRange range;
    private final boolean perChannel;
    private final int channels;
    private final Init init;
    private final float gradScaleOverride;
    /** Host mirror of the {@code initialized} buffer: forward checks it every call without a device round trip. */
    private boolean initialized;

    /**
     * @param perChannel one step per slice along axis 0 (weights), else one step
     * @param channels   number of steps when per-channel (size of axis 0)
     * @param gradScale  the step-gradient scale, or NaN for LSQ's {@code 1/sqrt(N·Qp)}
     */
    public LsqQuantizer(QuantRange range, boolean perChannel, int channels, Init init, float gradScale) {
        if (range.qmax() < 1) {
            throw new IllegalArgumentException("LSQ needs Qp >= 1 (signed LSQ needs at least 2 bits), got range " + range);
        }
        if (perChannel && channels < 1) {
            throw new IllegalArgumentException("LSQ per-channel needs channels >= 1, got " + channels);
        }
        this.range = range;
        this.perChannel = perChannel;
        this.channels = perChannel ? channels : 1;
        this.init = init;
        this.gradScaleOverride = gradScale;
        registerParameter("step", Tensor.ones(this.channels));
        registerBuffer("initialized", Tensor.zeros(1));
    }

    /** Per-tensor LSQ with LSQ's initialisation and gradient scale. */
    public static LsqQuantizer perTensor(QuantRange range) {
        return new LsqQuantizer(range, false, 1, Init.MEAN_ABS, Float.NaN);
    }

    /** Per-channel (axis 0) LSQ with LSQ's initialisation and gradient scale. */
    public static LsqQuantizer perChannel(QuantRange range, int channels) {
        return new LsqQuantizer(range, true, channels, Init.MEAN_ABS, Float.NaN);
    }

    public QuantRange range() {
        return range;
    }

    public boolean isPerChannel() {
        return perChannel;
    }

    public Tensor step() {
        return param("step");
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
        return "lsq";
    }

    /** Sets the step (and marks the quantizer initialised). */
    public void setStep(Tensor step) {
        try (var ng = Autograd.noGrad()) {
            step().copyFrom_(step.reshape(channels));
            buffer("initialized").fill_(1f);
        }
        initialized = true;
    }

    /** The step-gradient scale used for an input of n elements. */
    public float gradScale(int numel) {
        if (!Float.isNaN(gradScaleOverride)) {
            return gradScaleOverride;
        }
        int n = numel / channels;
        return (float) (1.0 / Math.sqrt((double) n * range.qmax()));
    }

    @Override
    public Tensor forward(Tensor x) {
        if (perChannel && (x.dim() == 0 || x.size(0) != channels)) {
            throw new IllegalArgumentException("LSQ per-channel quantizer has " + channels + " steps but input dim 0 is "
                    + (x.dim() == 0 ? "absent" : x.size(0)));
        }
        if (!isInitialized()) {
            initialize(x);
        }
        return Functional.fakeQuantize(x, step(), null, perChannel ? 0 : -1, range.qmin(), range.qmax(),
                gradScale(x.numel()), true);
    }

    /** Per-tensor LSQ is one fake-quantize (step, no offset, LSQ step gradient): layers may fuse it. */
    @Override
    public FakeQuantSpec fusedSpec(Tensor x) {
        if (perChannel) {
            return null;
        }
        if (!isInitialized()) {
            initialize(x);
        }
        return new FakeQuantSpec(step(), null, range.qmin(), range.qmax(), gradScale(x.numel()), true);
    }

    private void initialize(Tensor x) {
        float[] v = x.detach().toFloatArray();
        float[] s = switch (init) {
            case MEAN_ABS -> {
                double root = Math.sqrt(range.qmax());
                float[] m = HostStats.perChannel(v, channels, HostStats::meanAbs);
                for (int c = 0; c < m.length; c++) {
                    m[c] = HostStats.positive(2.0 * m[c] / root);
                }
                yield m;
            }
            case THREE_SIGMA -> {
                float[] m = HostStats.perChannel(v, channels, HostStats::threeSigma);
                double levels = 1 << (range.bits() - 1);
                for (int c = 0; c < m.length; c++) {
                    m[c] = HostStats.positive(m[c] / levels);
                }
                yield m;
            }
        };
        setStep(Tensor.of(s));
    }

    @Override
    public QuantGrid grid(Tensor x) {
        return new QuantGrid(range.bits(), range.qmin(), range.qmax(), perChannel ? 0 : -1, step().toFloatArray(), null, null);
    }

    @Override
    protected String describe() {
        return "LsqQuantizer(bits=" + range.bits() + ", q=[" + range.qmin() + ", " + range.qmax() + "]"
                + (perChannel ? ", per-channel " + channels : "") + ")";
    }
}
