package org.jqat.qat.quant;

import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/**
 * The fake quantizer of PyTorch's default QAT recipe: a moving-average min/max observer
 * ({@code MovingAverageMinMaxObserver}, averaging constant 0.01 by default: the first batch sets
 * min/max, later ones move them by {@code c·(batch − running)}) and a scale and zero point derived
 * from the observed range, with no learnable parameters (straight-through gradient for x only).
 *
 * <ul>
 * <li>Affine (activations, quint8-style, per tensor): levels {@code [0, 2^b−1]},
 *     {@code s = (max(max,0) − min(min,0))/(qmax − qmin)}, {@code zp = clamp(qmin − rint(min(min,0)/s))}.</li>
 * <li>Symmetric (weights, qint8-style, per channel on axis 0): levels {@code [−2^(b−1), 2^(b−1)−1]},
 *     {@code s = max(−min(min,0), max(max,0)) / ((qmax − qmin)/2)}, zp = 0.</li>
 * </ul>
 * s is at least float32 epsilon, as torch. The kernel computes {@code rint(clamp(x/s, qmin − zp,
 * qmax − zp))·s}, which equals torch's {@code (clamp(rint(x/s + zp), qmin, qmax) − zp)·s} except for
 * exact ties when zp is odd. The observer updates in training mode only (and on the very first
 * forward, so an untrained quantizer has a range). Per-channel is symmetric only (the kernel takes
 * one level range for all channels).
 *
 * <p>State (buffers): {@code min_val}, {@code max_val}, {@code scale} ({@code [channels]}),
 * {@code zero_point} ({@code [1]}), {@code initialized}. Observation runs on the input's device;
 * the flag and the zero point are mirrored on the host (refreshed by {@code loadStateDict}), so a
 * forward pass reads nothing back, except that an affine quantizer in training reads its new zero
 * point (one value per step: the kernel takes it as an integer).
 */
public final class MinMaxQuantizer extends Quantizer {
    /** torch's MovingAverageMinMaxObserver default averaging constant. */
    public static final float DEFAULT_AVERAGING_CONSTANT = 0.01f;
    private static final float EPS = Math.ulp(1f);

    private final QuantRange range;
    private final boolean symmetric;
    private final boolean perChannel;
    private final int channels;
    private final float averagingConstant;
    // Host mirrors of the buffers the forward pass reads, so it never reads them back from a device.
    private boolean initialized;
    private int zeroPoint;

    public MinMaxQuantizer(QuantRange range, boolean symmetric, boolean perChannel, int channels, float averagingConstant) {
        if (perChannel && !symmetric) {
            throw new IllegalArgumentException("min/max fake-quant: per-channel must be symmetric (one level range for all channels)");
        }
        if (!(averagingConstant > 0 && averagingConstant <= 1)) {
            throw new IllegalArgumentException("min/max fake-quant: averaging constant must be in (0, 1], got " + averagingConstant);
        }
        this.range = range;
        this.symmetric = symmetric;
        this.perChannel = perChannel;
        this.channels = perChannel ? channels : 1;
        this.averagingConstant = averagingConstant;
        registerBuffer("min_val", Tensor.zeros(this.channels));
        registerBuffer("max_val", Tensor.zeros(this.channels));
        registerBuffer("scale", Tensor.ones(this.channels));
        registerBuffer("zero_point", Tensor.zeros(1));
        registerBuffer("initialized", Tensor.zeros(1));
    }

    /** Activations: affine, unsigned levels, per tensor, momentum 0.01. */
    public static MinMaxQuantizer activation(int bits) {
        return new MinMaxQuantizer(QuantRange.unsigned(bits), false, false, 1, DEFAULT_AVERAGING_CONSTANT);
    }

    /** Weights: symmetric, signed levels, per channel along axis 0. */
    public static MinMaxQuantizer weightPerChannel(int bits, int channels) {
        return new MinMaxQuantizer(QuantRange.signed(bits), true, true, channels, DEFAULT_AVERAGING_CONSTANT);
    }

    @Override
    public int bits() {
        return range.bits();
    }

    @Override
    public String method() {
        return "minmax";
    }

    public QuantRange range() {
        return range;
    }

    /** Symmetric (zero point 0, weights) or affine (activations). */
    public boolean isSymmetric() {
        return symmetric;
    }

    @Override
    public boolean isInitialized() {
        return initialized;
    }

    private int zeroPoint() {
        return zeroPoint;
    }

    @Override
    protected void onStateLoaded() {
        initialized = buffer("initialized").item() != 0f;
        zeroPoint = (int) buffer("zero_point").item();
    }

    @Override
    public Tensor forward(Tensor x) {
        if (isTraining() || !isInitialized()) {
            observe(x);
        }
        int zp = zeroPoint();
        return Functional.fakeQuantize(x, buffer("scale"), null, perChannel ? 0 : -1, range.qmin() - zp, range.qmax() - zp,
                1f, true);
    }

    /**
     * Updates the running min/max from x and recomputes scale and zero point, on x's device with
     * the same float operations as a host loop would (exact division, no fused multiply-add). Only
     * the affine zero point, an integer argument of the kernel, is read back to the host.
     */
    public void observe(Tensor x) {
        try (var ng = Autograd.noGrad()) {
            Tensor v = x.detach().reshape(channels, x.numel() / channels);
            Tensor lo = v.min(new int[] {1}, false);
            Tensor hi = v.max(new int[] {1}, false);
            if (isInitialized()) {
                Tensor rlo = buffer("min_val");
                Tensor rhi = buffer("max_val");
                lo = rlo.add(lo.sub(rlo).mul(averagingConstant));
                hi = rhi.add(hi.sub(rhi).mul(averagingConstant));
            }
            buffer("min_val").copyFrom_(lo);
            buffer("max_val").copyFrom_(hi);
            Tensor zero = constant(0f, x);
            Tensor minNeg = lo.minimum(zero);
            Tensor maxPos = hi.maximum(zero);
            Tensor scale;
            int zp = 0;
            if (symmetric) {
                scale = minNeg.neg().maximum(maxPos).div(constant((range.qmax() - range.qmin()) / 2f, x));
            } else {
                scale = maxPos.sub(minNeg).div(constant((float) (range.qmax() - range.qmin()), x));
            }
            scale = scale.maximum(constant(EPS, x));
            if (!symmetric) {
                float r = minNeg.div(scale).round().item(); // the one host round trip: per tensor, one value
                zp = (int) Math.max(range.qmin(), Math.min(range.qmax(), range.qmin() - (double) r));
            }
            buffer("scale").copyFrom_(scale);
            buffer("zero_point").fill_(zp);
            buffer("initialized").fill_(1f);
            zeroPoint = zp;
            initialized = true;
        }
    }

    /** A one-element tensor on x's device (binary ops with it divide exactly, unlike {@code div(float)}). */
    private static Tensor constant(float value, Tensor x) {
        return Tensor.of(value).to(x.device());
    }

    @Override
    public QuantGrid grid(Tensor x) {
        int zp = zeroPoint();
        int[] zps = new int[channels];
        java.util.Arrays.fill(zps, zp);
        return new QuantGrid(range.bits(), range.qmin(), range.qmax(), perChannel ? 0 : -1, buffer("scale").toFloatArray(),
                null, zp == 0 ? null : zps);
    }
}
