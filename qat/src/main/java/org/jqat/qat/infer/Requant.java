package org.jqat.qat.infer;

/**
 * Per-row (per output channel) requantization parameters with the output clamp: row {@code r}
 * maps {@code acc} to {@code clamp(fp[r].apply(acc), lo, hi)}. ReLU is folded into {@code lo}
 * (the code of 0), the next layer's activation range into {@code lo..hi}.
 */
public record Requant(int[] m, int[] shift, long[] bias, int lo, int hi) {

    /** Bytes of the per-channel constants. */
    long bytes() {
        return 4L * m.length + 4L * shift.length + 8L * bias.length;
    }


    public static Requant of(FixedPoint[] rows, int lo, int hi) {
        int n = rows.length;
        int[] m = new int[n];
        int[] s = new int[n];
        long[] b = new long[n];
        for (int r = 0; r < n; r++) {
            m[r] = rows[r].m();
            s[r] = rows[r].shift();
            b[r] = rows[r].bias();
        }
        return new Requant(m, s, b, lo, hi);
    }

    /** One multiplier and bias per row; {@code multiplier[r]·acc + bias[r]}. */
    public static Requant of(double[] multiplier, double[] bias, int lo, int hi) {
        FixedPoint[] fp = new FixedPoint[multiplier.length];
        for (int r = 0; r < fp.length; r++) {
            fp[r] = FixedPoint.of(multiplier[r], bias == null ? 0 : bias[r]);
        }
        return of(fp, lo, hi);
    }

    public int rows() {
        return m.length;
    }

    /** Whether row r maps every int32 to itself ({@code m = 2^30}, shift 30, no bias, no clamp): a shortcut kept at its stream's scale. */
    boolean isIdentity(int r) {
        return m[r] == 1 << 30 && shift[r] == 30 && bias[r] == 0 && lo == Integer.MIN_VALUE && hi == Integer.MAX_VALUE;
    }

    /** The clamped value of one accumulator of row r (the scalar definition). */
    public int apply(int r, int acc) {
        long half = shift[r] == 0 ? 0 : 1L << (shift[r] - 1);
        long v = ((long) acc * m[r] + bias[r] + half) >> shift[r];
        return (int) Math.max(lo, Math.min(hi, v));
    }
}
