package org.jqat.qat.infer;

/**
 * How a layer's GEMM accumulates, chosen once per layer from its code ranges: in 16-bit lanes
 * where that is provably exact and pays, else in float lanes, exact by a second bound.
 *
 * <p>The proof. Every product is {@code w·a} with {@code w} a weight code in {@code [wMin, wMax]}
 * and {@code a} an input code in {@code [aMin, aMax]} (padding uses the zero point, itself a code
 * of that range), so {@code |w·a| ≤ P = max(|wMin|, |wMax|)·max(|aMin|, |aMax|)}. A 16-bit lane
 * that starts at 0 and adds {@code L} products holds at most {@code L·P} in magnitude; with
 * {@code L = ⌊32767 / P⌋} no product and no partial sum leaves {@code [−32767, 32767]}, so the
 * 16-bit multiply and add (both modulo 2^16) are exact. After every {@code L} terms the lanes are
 * widened and added to int32 accumulators, which hold the exact sum
 * (|sum| ≤ K·P, far below 2^31 for the layers a byte code can feed: K ≤ 2^16 at P ≤ 2^15).
 *
 * <p>{@code wMax} is the largest |code| the layer's weights actually hold (fixed at load time),
 * {@code aMax} the largest |code| its input grid allows. W4A4 (weights in [−8, 7], unsigned
 * activations [0, 15]): P ≤ 120, L ≥ 273, so a 3×3×64 layer (K = 576) widens three times. W2A2
 * ([−2, 1] × [0, 3]): P ≤ 6, L ≥ 5461, one widening per tile. W8A8 ([−128, 127] × [0, 255]):
 * P up to 32640, L = 1: a product fits but no sum of two does, and such a layer takes float lanes
 * (below).
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
 * <p>Exact in float lanes ({@link #floatLanes()}). A float holds every integer of magnitude up to
 * 2^24 exactly, and a product of two codes (|w·a| ≤ 2^15) is such an integer; so a float lane that
 * multiplies and adds integers stays exact while no partial sum passes 2^24. The bound is proved
 * per output row, from the weights the layer holds: a row whose codes' magnitudes sum to
 * {@code S_w} has partial sums of at most {@code S_w·max|a|} in any order. When that holds for
 * every row ({@code maxRowAbsSum·max|a| ≤ 2^24}) one span covers the whole row; else spans of
 * {@code ⌊2^24 / P⌋} taps, each converted to int32 and added. FP32 lanes are half as many as 16-bit
 * ones, but a fused multiply-add does the work of a 16-bit multiply and add, and the lanes
 * never widen: where 16-bit lanes would widen every few taps (8-bit codes: every tap) they are the
 * faster exact path. Measured on one Zen 5 core, K = 576: float 95–101 G multiply-adds/s, an int32
 * path (since removed) 58–63, 16-bit 69–81 / 99–110 / 129–136 / 151–158 / 179–184 at chunks of
 * 8 / 16 / 32 / 64 / K.
 *
 * <p>The choice per layer: 16-bit lanes where their chunk is at least {@link #SHORT_OVER_FLOAT}
 * taps (pairs where those apply), else float lanes. Codes of at most 8 bits give P ≤ 2^15, so
 * float spans are at least 512 taps long.
 *
 * @param maxProduct P, the largest |product| the code ranges allow
 * @param chunk      L, the terms a 16-bit lane may add before widening; 0 when the layer does not
 *                   take 16-bit lanes
 * @param pairChunk  L2, the terms a lane holding two positions may add before it is split; 0 when
 *                   products are too large for pairs to pay
 * @param floatSpan  the terms a float lane may add before it is converted to int32
 *                   ({@link Integer#MAX_VALUE}: a whole row); 0 when the layer does not take float lanes
 */
record Accumulation(int maxProduct, int chunk, int pairChunk, int floatSpan) {
    /** The 16-bit chunk from which 16-bit lanes beat float lanes (99–110 against 95–101 G/s at 16 taps). */
    static final int SHORT_OVER_FLOAT = 16;

    /** 2^24: the largest magnitude up to which a float holds every integer. */
    static final int FLOAT_EXACT = 1 << 24;

    /**
     * The accumulation for weight codes in [wMin, wMax] and input codes in [aMin, aMax], not
     * knowing the rows' sums (float spans from the product bound alone).
     */
    static Accumulation of(int wMin, int wMax, int aMin, int aMax) {
        return of(wMin, wMax, aMin, aMax, Long.MAX_VALUE);
    }

    /**
     * As {@link #of(int, int, int, int)}, for weights whose rows' code magnitudes sum to at most
     * {@code maxRowAbsSum}: float lanes over whole rows where that sum bounds every partial sum
     * below 2^24.
     */
    static Accumulation of(int wMin, int wMax, int aMin, int aMax, long maxRowAbsSum) {
        if (wMin > wMax || aMin > aMax) {
            throw new IllegalArgumentException("accumulation: empty code range [" + wMin + ", " + wMax + "] x [" + aMin + ", " + aMax + "]");
        }
        long p = (long) Math.max(Math.abs(wMin), Math.abs(wMax)) * Math.max(Math.abs(aMin), Math.abs(aMax));
        if (p > FLOAT_EXACT) {
            throw new IllegalArgumentException("accumulation: products up to " + p + " (codes [" + wMin + ", " + wMax + "] x ["
                    + aMin + ", " + aMax + "]) pass 2^24; integer inference takes codes of at most 8 bits");
        }
        long l = p == 0 ? Short.MAX_VALUE : Short.MAX_VALUE / p;
        long l2 = p == 0 ? Byte.MAX_VALUE : Byte.MAX_VALUE / p;
        int aAbs = Math.max(Math.abs(aMin), Math.abs(aMax));
        long f = p == 0 || maxRowAbsSum <= FLOAT_EXACT / Math.max(1, aAbs) ? Integer.MAX_VALUE : FLOAT_EXACT / p;
        int pair = l2 >= MIN_PAIR_CHUNK ? (int) l2 : 0;
        return l >= SHORT_OVER_FLOAT ? new Accumulation((int) p, (int) l, pair, 0) : new Accumulation((int) p, 0, 0, (int) f);
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

    /** Whether the layer accumulates in float lanes (it does when not in 16-bit lanes). */
    boolean floatLanes() {
        return floatSpan > 0;
    }

    String describe() {
        return pairs() ? "int16 pairs x" + pairChunk
                : shortLanes() ? "int16 x" + chunk
                : floatSpan == Integer.MAX_VALUE ? "fp32 exact" : "fp32 exact x" + floatSpan;
    }
}
