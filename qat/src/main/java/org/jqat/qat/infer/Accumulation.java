package org.jqat.qat.infer;

/**
 * How a layer's GEMM accumulates, chosen once per layer from its code ranges: in 16-bit lanes
 * where that is provably exact, else in 32-bit lanes.
 *
 * <p>The proof. Every product is {@code w·a} with {@code w} a weight code in {@code [wMin, wMax]}
 * and {@code a} an input code in {@code [aMin, aMax]} (padding uses the zero point, itself a code
 * of that range), so {@code |w·a| ≤ P = max(|wMin|, |wMax|)·max(|aMin|, |aMax|)}. A 16-bit lane
 * that starts at 0 and adds {@code L} products holds at most {@code L·P} in magnitude; with
 * {@code L = ⌊32767 / P⌋} no product and no partial sum leaves {@code [−32767, 32767]}, so the
 * 16-bit multiply and add (both modulo 2^16) are exact. After every {@code L} terms the lanes are
 * widened and added to int32 accumulators, which hold the same exact sum as the int32 path
 * (|sum| ≤ K·P, far below 2^31 for the layers a byte code can feed: K ≤ 2^16 at P ≤ 2^15).
 *
 * <p>{@code wMax} is the largest |code| the layer's weights actually hold (fixed at load time),
 * {@code aMax} the largest |code| its input grid allows. W4A4 (weights in [−8, 7], unsigned
 * activations [0, 15]): P ≤ 120, L ≥ 273, so a 3×3×64 layer (K = 576) widens three times. W2A2
 * ([−2, 1] × [0, 3]): P ≤ 6, L ≥ 5461, one widening per tile. W8A8 ([−128, 127] × [0, 255]):
 * P up to 32640, L = 1: a product fits but no sum of two does. Below {@link #MIN_CHUNK} taps the
 * widening costs more than the narrower lanes save, and the layer takes the int32 path.
 *
 *
 * <p>Two positions per lane ({@link #pairs()}). When products are tiny (W2A2: P ≤ 6) one 16-bit
 * lane carries two input codes, {@code a + 256·b} (positions j and j + T of a tile), and one
 * multiply by {@code w} gives {@code w·a + 256·w·b} modulo 2^16. A lane that adds
 * {@code L2 = ⌊127 / P⌋} such terms holds {@code S = S_a + 256·S_b} modulo 2^16 with
 * {@code |S_a|, |S_b| ≤ L2·P ≤ 127}; so the low byte read as signed is exactly {@code S_a}, and
 * {@code (S − S_a) >> 8} (arithmetic, 16 bits) exactly {@code S_b}. Both are then added to int32
 * accumulators. Each multiply does two multiply-adds; W2A2 gets L2 = 21 taps between splits.
 *
 * @param maxProduct P, the largest |product| the code ranges allow
 * @param chunk      L, the terms a 16-bit lane may add before widening; 0 for the int32 path
 * @param pairChunk  L2, the terms a lane holding two positions may add before it is split; 0 when
 *                   products are too large for pairs to pay
 */
record Accumulation(int maxProduct, int chunk, int pairChunk) {
    /**
     * The shortest chunk worth 16-bit lanes. Measured on one Zen 5 core (512-bit vectors, K = 288):
     * 16-bit lanes run 37 / 57 / 73 / 88 / 100 GMAC/s at chunks of 4 / 8 / 16 / 32 / 64 taps, the
     * int32 path 57: they break even at 8.
     */
    static final int MIN_CHUNK = 8;

    /** The accumulation for weight codes in [wMin, wMax] and input codes in [aMin, aMax]. */
    static Accumulation of(int wMin, int wMax, int aMin, int aMax) {
        if (wMin > wMax || aMin > aMax) {
            throw new IllegalArgumentException("accumulation: empty code range [" + wMin + ", " + wMax + "] x [" + aMin + ", " + aMax + "]");
        }
        long p = (long) Math.max(Math.abs(wMin), Math.abs(wMax)) * Math.max(Math.abs(aMin), Math.abs(aMax));
        if (p > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("accumulation: products up to " + p + " do not fit 32 bits");
        }
        long l = p == 0 ? Short.MAX_VALUE : Short.MAX_VALUE / p;
        long l2 = p == 0 ? Byte.MAX_VALUE : Byte.MAX_VALUE / p;
        return new Accumulation((int) p, l >= MIN_CHUNK ? (int) l : 0, l2 >= MIN_PAIR_CHUNK ? (int) l2 : 0);
    }

    /**
     * The shortest pair chunk worth it: splitting a lane costs about ten vector instructions per
     * 32 lanes, against two per tap saved; below 8 taps the split eats most of the gain.
     */
    static final int MIN_PAIR_CHUNK = 8;

    /** Whether each 16-bit lane carries two positions (see the class comment). */
    boolean pairs() {
        return pairChunk > 0;
    }

    /** Whether the layer accumulates in 16-bit lanes. */
    boolean shortLanes() {
        return chunk > 0;
    }

    String describe() {
        return pairs() ? "int16 pairs x" + pairChunk : shortLanes() ? "int16 x" + chunk : "int32";
    }
}
