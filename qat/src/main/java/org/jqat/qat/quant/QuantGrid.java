package org.jqat.qat.quant;

/**
 * The integer grid of a quantizer's output, what export stores: every output value is
 * {@code y = (c − zeroPoint)·scale + offset} (float32 arithmetic in that order) for an integer
 * code {@code c ∈ [codeMin, codeMax]}, with one scale / offset / zero point per channel along
 * {@code axis} (-1: per tensor, one value).
 *
 * @param offset     null when the offset is 0
 * @param zeroPoint  null when the zero point is 0
 */
public record QuantGrid(int bits, int codeMin, int codeMax, int axis, float[] scale, float[] offset, int[] zeroPoint) {

    public int channels() {
        return scale.length;
    }

    /** The channel of flat element {@code k} of a contiguous tensor of this shape. */
    int channelOf(int k, int[] shape) {
        if (axis < 0) {
            return 0;
        }
        int inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        return (k / inner) % shape[axis];
    }

    /**
     * Codes of values already on this grid (a quantizer's output): {@code rint((y − offset)/scale) + zp}.
     * Rounding recovers the exact integer because y was produced as {@code q·scale + offset}.
     */
    public int[] codes(float[] y, int[] shape) {
        int[] c = new int[y.length];
        for (int k = 0; k < y.length; k++) {
            int ch = channelOf(k, shape);
            float b = offset == null ? 0f : offset[ch];
            int zp = zeroPoint == null ? 0 : zeroPoint[ch];
            int q = (int) Math.rint((y[k] - b) / scale[ch]) + zp;
            c[k] = Math.max(codeMin, Math.min(codeMax, q));
        }
        return c;
    }

    /** The float values of codes, computed exactly as the fake-quantize kernel forms its output. */
    public float[] dequantize(int[] codes, int[] shape) {
        float[] y = new float[codes.length];
        for (int k = 0; k < codes.length; k++) {
            int ch = channelOf(k, shape);
            float b = offset == null ? 0f : offset[ch];
            int zp = zeroPoint == null ? 0 : zeroPoint[ch];
            float q = codes[k] - zp;
            y[k] = q * scale[ch] + b;
        }
        return y;
    }
}
