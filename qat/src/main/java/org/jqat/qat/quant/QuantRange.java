package org.jqat.qat.quant;

/**
 * The integer levels a quantizer rounds to: {@code q ∈ [qmin, qmax]} for a bit width of 1 to 8.
 * In LSQ's notation {@code Qn = −qmin} and {@code Qp = qmax}.
 *
 * @param bits nominal bit width (what export packs to)
 * @param qmin lowest level (≤ 0 for the ranges built here)
 * @param qmax highest level
 */
public record QuantRange(int bits, int qmin, int qmax) {
    /** Largest supported bit width: the export stores codes in one byte. */
    public static final int MAX_BITS = 8;

    public QuantRange {
        checkBits(bits);
        if (qmin >= qmax) {
            throw new IllegalArgumentException("quantizer range: qmin " + qmin + " must be below qmax " + qmax);
        }
        if ((long) qmax - qmin > (1L << bits) - 1) {
            throw new IllegalArgumentException("quantizer range [" + qmin + ", " + qmax + "] needs more than " + bits + " bits");
        }
    }

    /** Throws a clear error unless {@code 1 <= bits <= 8}. */
    public static int checkBits(int bits) {
        if (bits < 1 || bits > MAX_BITS) {
            throw new IllegalArgumentException("bit width must be between 1 and " + MAX_BITS + ", got " + bits);
        }
        return bits;
    }

    /** Two's-complement levels: Qn = 2^(b−1), Qp = 2^(b−1) − 1 (weights). */
    public static QuantRange signed(int bits) {
        checkBits(bits);
        return new QuantRange(bits, -(1 << (bits - 1)), (1 << (bits - 1)) - 1);
    }

    /** Non-negative levels: Qn = 0, Qp = 2^b − 1 (activations after a ReLU). */
    public static QuantRange unsigned(int bits) {
        checkBits(bits);
        return new QuantRange(bits, 0, (1 << bits) - 1);
    }

    public static QuantRange of(boolean signed, int bits) {
        return signed ? signed(bits) : unsigned(bits);
    }

    public boolean isSigned() {
        return qmin < 0;
    }

    /** Number of levels, {@code qmax − qmin + 1}. */
    public int levels() {
        return qmax - qmin + 1;
    }
}
