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
 * activations [0, 15]): P ≤ 120, L ≥ 273. W2A2 ([−2, 1] × [0, 3]): P ≤ 6, L ≥ 5461. W8A8
 * ([−128, 127] × [0, 255]): P up to 32640, L = 1: a product fits but no sum of two does.
 *
 * <p>The tighter proof, from the weights a layer holds ({@link #of(WeightCodes, int, int)}). With
 * 0 among the input codes, a window T of one row's taps sums {@code Σ_{t∈T} w_t·a_t} within
 * {@code [S_min, S_max]}, {@code S_max = Σ_{t∈T} max(w_t·aMin, w_t·aMax)} and S_min likewise with min;
 * each term of S_max is ≥ 0 and each of S_min ≤ 0 (a product with a = 0 is 0), so every partial sum
 * of the window, in any order, lies in the same range. A span is exact in 16-bit lanes when that
 * range fits {@code [−32768, 32767]} for every row and every window the kernel takes (the taps cut
 * at multiples of the span). Rows balance positive and negative weights, so this admits much longer
 * spans than L: a trained W4A4 ResNet-20's 3×3×64 layers (K = 576) take one span, not three.
 *
 * <p>Two positions per lane ({@link #pairs()}). When products are tiny (W2A2: P ≤ 6) one 16-bit
 * lane carries two input codes, {@code a + 256·b} (positions j and j + T of a tile), and one
 * multiply by {@code w} gives {@code w·a + 256·w·b} modulo 2^16. A lane that adds
 * {@code L2 = ⌊127 / P⌋} such terms holds {@code S = S_a + 256·S_b} modulo 2^16 with
 * {@code |S_a|, |S_b| ≤ L2·P ≤ 127}; so the low byte read as signed is exactly {@code S_a}, and
 * {@code (S − S_a) >> 8} (arithmetic, 16 bits) exactly {@code S_b}. Both are then added to int32
 * accumulators. Each multiply does two multiply-adds; W2A2 gets L2 = 21 taps between splits by
 * this bound, and longer spans by the row sums (windows whose S_a, S_b range fits [−128, 127]).
 * The split sums of consecutive pair chunks are added in 16 bits for up to L taps ({@link #anyWindow}:
 * the product bound, which holds for any window) before they are widened.
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
 * @param chunk      the span of taps a 16-bit lane adds before widening (windows cut at its
 *                   multiples); 0 when the layer does not take 16-bit lanes
 * @param pairChunk  the span of taps a lane holding two positions adds before it is split; 0 when
 *                   pairs do not pay
 * @param anyWindow  L, the terms a 16-bit lane may add in any window (the product bound)
 * @param floatSpan  the terms a float lane may add before it is converted to int32
 *                   ({@link Integer#MAX_VALUE}: a whole row); float lanes serve a layer that takes
 *                   neither 16-bit form
 */
record Accumulation(int maxProduct, int chunk, int pairChunk, int anyWindow, int floatSpan) {
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
        return new Accumulation((int) p, l >= SHORT_OVER_FLOAT ? (int) l : 0, pair, (int) l, (int) f);
    }

    /**
     * The accumulation for a layer's own weights over input codes in [aMin, aMax]: 16-bit spans
     * (and pair spans) proved from each row's sums (the tighter proof in the class comment), float
     * spans from the rows' code magnitudes.
     */
    static Accumulation of(WeightCodes weights, int aMin, int aMax) {
        int k = weights.cols();
        byte[] codes = new byte[weights.rows() * k];
        weights.rowsScalar(0, weights.rows(), codes); // unpacked once: every bound below reads these
        int maxAbs = 0;
        long maxRowAbsSum = 0;
        for (int row = 0; row < codes.length; row += k) {
            long sum = 0;
            for (int t = row; t < row + k; t++) {
                int a = Math.abs(codes[t]);
                maxAbs = Math.max(maxAbs, a);
                sum += a;
            }
            maxRowAbsSum = Math.max(maxRowAbsSum, sum);
        }
        Accumulation bound = of(-maxAbs, maxAbs, aMin, aMax, maxRowAbsSum);
        if (aMin > 0 || aMax < 0) {
            return bound; // the window argument needs a zero input code
        }
        int pair = longestSpan(codes, k, aMin, aMax, Byte.MIN_VALUE, Byte.MAX_VALUE, MIN_PAIR_CHUNK, bound.pairChunk());
        int span = longestSpan(codes, k, aMin, aMax, Short.MIN_VALUE, Short.MAX_VALUE, SHORT_OVER_FLOAT, bound.chunk());
        // spans past the row are the whole row
        return new Accumulation(bound.maxProduct(), Math.min(span, k), Math.min(pair, k), bound.anyWindow(), bound.floatSpan());
    }

    /**
     * The longest span {@code ⌈k/s⌉} (s = 1, 2, ...) of at least {@code least} taps whose windows
     * keep every row's sums within [lo, hi]; {@code known} (a span already proved, or 0) when none
     * is longer; 0 when that is shorter than {@code least}.
     */
    private static int longestSpan(byte[] codes, int k, int aMin, int aMax, int lo, int hi, int least, int known) {
        for (int s = 1; ; s++) {
            int span = (k + s - 1) / s;
            if (span <= known || span < least) {
                return known >= least ? known : 0;
            }
            if (windowsFit(codes, k, span, aMin, aMax, lo, hi)) {
                return span;
            }
        }
    }

    /** Whether every row's windows of {@code span} taps (cut at its multiples) sum within [lo, hi] for any inputs in [aMin, aMax]. */
    static boolean windowsFit(byte[] codes, int k, int span, int aMin, int aMax, int lo, int hi) {
        for (int row = 0; row < codes.length; row += k) {
            for (int t0 = 0; t0 < k; t0 += span) {
                long max = 0;
                long min = 0;
                for (int t = t0; t < Math.min(k, t0 + span); t++) {
                    long x = (long) codes[row + t] * aMin;
                    long y = (long) codes[row + t] * aMax;
                    max += Math.max(x, y);
                    min += Math.min(x, y);
                }
                if (max > hi || min < lo) {
                    return false;
                }
            }
        }
        return true;
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

    /** Whether the layer takes float lanes (when it takes neither 16-bit form; also where a call's grid is too small for pairs). */
    boolean floatLanes() {
        return !shortLanes() && !pairs();
    }

    String describe() {
        return pairs() ? "int16 pairs x" + pairChunk
                : shortLanes() ? "int16 x" + chunk
                : floatSpan == Integer.MAX_VALUE ? "fp32 exact" : "fp32 exact x" + floatSpan;
    }
}
