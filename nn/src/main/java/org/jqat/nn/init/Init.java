package org.jqat.nn.init;

import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;

/**
 * Weight initialisation as {@code torch.nn.init}, drawing from a given {@link Rng} so models
 * are reproducible. Values are written in place (under no-grad, so parameters may already
 * require a gradient).
 */
public final class Init {
    private Init() {
    }

    /** Fan-in and fan-out of a weight: dim 1 and dim 0 times the receptive field, as PyTorch. */
    public static int[] fans(Tensor w) {
        int[] s = w.shape();
        if (s.length < 2) {
            throw new IllegalArgumentException("fan in/out need a tensor of rank >= 2, got rank " + s.length);
        }
        int receptive = 1;
        for (int i = 2; i < s.length; i++) {
            receptive *= s[i];
        }
        return new int[] {s[1] * receptive, s[0] * receptive};
    }

    /** Fills with U(-bound, bound). */
    public static Tensor uniform(Tensor t, double bound, Rng rng) {
        float[] v = new float[t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
        }
        return write(t, v);
    }

    /** Fills with N(0, std²). */
    public static Tensor normal(Tensor t, double std, Rng rng) {
        float[] v = new float[t.numel()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        return write(t, v);
    }

    public static Tensor constant(Tensor t, float value) {
        try (var ng = Autograd.noGrad()) {
            return t.fill_(value);
        }
    }

    /**
     * {@code kaiming_uniform_(w, a)} with fan-in mode and leaky-ReLU gain: bound =
     * sqrt(2/(1+a²))·sqrt(3/fan_in). With a = √5 (PyTorch's Conv/Linear default) the bound is 1/√fan_in.
     */
    public static Tensor kaimingUniform(Tensor w, double a, Rng rng) {
        double gain = Math.sqrt(2.0 / (1 + a * a));
        return uniform(w, gain * Math.sqrt(3.0 / fans(w)[0]), rng);
    }

    /** {@code kaiming_normal_(w, mode='fan_out', nonlinearity='relu')}: std = sqrt(2/fan_out), as torchvision's ResNet. */
    public static Tensor kaimingNormalFanOut(Tensor w, Rng rng) {
        return normal(w, Math.sqrt(2.0 / fans(w)[1]), rng);
    }

    /** PyTorch's default Conv/Linear init: kaiming_uniform(a=√5) weight, U(±1/√fan_in) bias. */
    public static void pytorchDefault(Tensor weight, Tensor bias, Rng rng) {
        kaimingUniform(weight, Math.sqrt(5), rng);
        if (bias != null) {
            uniform(bias, 1 / Math.sqrt(fans(weight)[0]), rng);
        }
    }

    private static Tensor write(Tensor t, float[] v) {
        try (var ng = Autograd.noGrad()) {
            return t.copyFrom_(Tensor.of(v, t.shape()));
        }
    }
}
