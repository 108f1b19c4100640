package org.jqat.qat.infer;

/**
 * A real multiplier and bias in fixed point, as gemmlowp / TFLite requantize:
 * {@code out = (acc·m + bias + 2^(shift−1)) >> shift} in 64-bit arithmetic, with {@code m} an int32
 * (normalised to [2^30, 2^31) in magnitude when the shift allows) and {@code bias} a long in units of
 * {@code 2^−shift}. Rounding is <b>half up</b> (toward +∞), an arithmetic shift of the biased sum.
 * With |acc| &lt; 2^31, |m| &lt; 2^31 and |bias| &lt; 2^61 the sum never overflows.
 *
 * @param m     the int32 multiplier (may be negative: batch norm with γ &lt; 0)
 * @param shift right shift, 0..62
 * @param bias  the bias in units of 2^−shift
 */
public record FixedPoint(int m, int shift, long bias) {

    /** The fixed-point form of {@code acc ↦ acc·multiplier + bias}. */
    public static FixedPoint of(double multiplier, double bias) {
        if (!Double.isFinite(multiplier) || !Double.isFinite(bias)) {
            throw new IllegalArgumentException("requantize: multiplier " + multiplier + " and bias " + bias + " must be finite");
        }
        int shift = multiplier == 0 ? 32 : 30 - Math.getExponent(multiplier);
        shift = Math.min(shift, 62);
        if (bias != 0) {
            shift = Math.min(shift, 60 - Math.getExponent(bias));
        }
        if (shift < 0) {
            throw new IllegalArgumentException("requantize: multiplier " + multiplier + " / bias " + bias + " too large for 32-bit fixed point");
        }
        long m = Math.round(Math.scalb(multiplier, shift));
        if (m >= (1L << 31) || m < -(1L << 31) + 1) {
            shift--;
            m = Math.round(Math.scalb(multiplier, shift));
        }
        return new FixedPoint((int) m, shift, Math.round(Math.scalb(bias, shift)));
    }

    /** The value {@code shift} rounds at: 2^(shift−1), or 0 for no shift. */
    public long half() {
        return shift == 0 ? 0 : 1L << (shift - 1);
    }

    /** The requantized value of one accumulator, before clamping. */
    public long apply(int acc) {
        return ((long) acc * m + bias + half()) >> shift;
    }

    /** The real multiplier this represents. */
    public double multiplier() {
        return Math.scalb((double) m, -shift);
    }
}
