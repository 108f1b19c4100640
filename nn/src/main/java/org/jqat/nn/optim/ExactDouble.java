package org.jqat.nn.optim;

import org.jqat.core.Tensor;

/**
 * Stores a double exactly in a float32 tensor of four 16-bit chunks of its bits (each chunk is
 * an integer below 2^16, which a float holds exactly), so learning rates survive a checkpoint
 * bit for bit and a resumed run continues identically.
 */
final class ExactDouble {
    private ExactDouble() {
    }

    static Tensor encode(double v) {
        long bits = Double.doubleToRawLongBits(v);
        float[] out = new float[4];
        for (int i = 0; i < 4; i++) {
            out[i] = (bits >>> (48 - 16 * i)) & 0xFFFF;
        }
        return Tensor.of(out);
    }

    /** Decodes {@link #encode}; a one-element tensor is read as a plain value. */
    static double decode(Tensor t) {
        float[] v = t.toFloatArray();
        if (v.length == 1) {
            return v[0];
        }
        if (v.length != 4) {
            throw new IllegalArgumentException("expected an encoded double of 4 values, got " + v.length);
        }
        long bits = 0;
        for (int i = 0; i < 4; i++) {
            bits = (bits << 16) | ((long) v[i] & 0xFFFF);
        }
        return Double.longBitsToDouble(bits);
    }
}
