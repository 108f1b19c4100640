package org.jqat.qat.infer;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tile of the integer convolution: {@value #ROWS} output channels × {@link #tile()}
 * output positions,
 * {@code acc[r·T + j] = Σ_t w[(row0 + r)·K + t] · src[off[t] + o0 + j]}.
 *
 * <p>The SIMD tiles read the weights of their {@value #ROWS} rows as one block in <em>span-major</em>
 * order ({@link #spanMajor}): the K taps cut into spans (the taps a 16-bit lane adds between
 * widenings or splits), and each span's rows one after another. A kernel's loop then runs over one
 * whole span with the rows exactly as far apart as the loop is long: the one form C2 compiled to
 * full speed. With rows K apart and the loop over a sub-range of the taps (or over all K taps
 * given as a separate bound), the same 16-bit tile ran at 140–148 against 182–189 G
 * multiply-adds/s on one Zen 5 core, in every JVM; presumably the weight loads' bounds checks
 * stay in the loop (not verified in the machine code). With one span of K taps (a whole row) the
 * block is row-major.
 *
 * <p>{@code src} holds input codes as shorts and {@code off[t]} says where tap {@code t} of the
 * first position reads, so one kernel serves both lowerings of {@link IntConv}: padded code
 * planes (a stride-1 conv reads tap (ci, kh, kw) at {@code ci·plane + kh·pitch + kw}: no im2col
 * copy) and gathered columns ({@code off[t] = t·columns}). Weights are shorts, rows padded with
 * zeros to a multiple of {@value #ROWS}.
 *
 * <p>{@link #tileShort} multiplies and adds in 16-bit lanes (twice the lanes of int32 or
 * FP32) for {@code chunk} taps at a time, then widens to int32: exact by {@link Accumulation}'s
 * bound. {@link #tileFloat} multiplies and adds in float lanes, exact while partial sums stay
 * within 2^24 (for layers whose 16-bit spans would be short: 8-bit codes). {@link #tileScalar} is
 * the twin both are tested against.
 */
final class ConvKernel {
    /** Output channels per tile: four rows share each activation load. */
    static final int ROWS = 4;

    private ConvKernel() {
    }

    /** Output positions per tile (four short vectors: 128 with 512-bit vectors). */
    static int tile() {
        return Simd.TILE;
    }

    /**
     * Rows {@code row0 .. row0 + ROWS − 1} of the row-major {@code w} (K = {@code k} taps a row)
     * as one block in span-major order, written to {@code out[to ..]} ({@code ROWS·k} values): for
     * each span of taps {@code t0 .. t0 + len − 1} (spans of {@code span} taps, the last one
     * shorter), {@code out[to + ROWS·t0 + r·len + (t − t0)] = w[(row0 + r)·k + t]}.
     */
    static void spanMajor(short[] w, int row0, int k, int span, short[] out, int to) {
        for (int t0 = 0; t0 < k; t0 += span) {
            int len = Math.min(span, k - t0);
            for (int r = 0; r < ROWS; r++) {
                System.arraycopy(w, (row0 + r) * k + t0, out, to + ROWS * t0 + r * len, len);
            }
        }
    }

    /** Scalar twin: the tile of {@code tile} positions, int32 products and sums. */
    static void tileScalar(short[] w, int row0, int k, short[] src, int[] off, int o0, int tile, int[] acc) {
        for (int r = 0; r < ROWS; r++) {
            int wo = (row0 + r) * k;
            for (int j = 0; j < tile; j++) {
                int s = 0;
                for (int t = 0; t < k; t++) {
                    s += w[wo + t] * src[off[t] + o0 + j];
                }
                acc[r * tile + j] = s;
            }
        }
    }

    /**
     * 16-bit lanes, widened to int32 every {@code chunk} taps (exact when each window's sums stay
     * within 16 bits: {@link Accumulation});
     * the block's weights at {@code w[block ..]} in span-major order with spans of {@code chunk}.
     */
    static void tileShort(short[] w, int block, int k, short[] src, int[] off, int o0, int chunk, int[] acc) {
        tileShort(w, block, k, src, off, o0, chunk, acc, new short[ROWS * tile()]);
    }

    /** As {@link #tileShort(short[], int, int, short[], int[], int, int, int[])}, with {@code part} ({@value #ROWS}·T shorts) for the 16-bit partial sums. */
    static void tileShort(short[] w, int block, int k, short[] src, int[] off, int o0, int chunk, int[] acc, short[] part) {
        Simd.tileShort(w, block, k, src, off, o0, chunk, acc, part);
    }

    /**
     * Two positions per 16-bit lane ({@link Accumulation#pairs()}): {@code packed} from
     * {@link #pair}, so lane j of a tile holds positions j and j + T; the tile covers 2T positions,
     * {@code acc[r·2T + j]} for j < 2T. Split every {@code pairChunk} taps (exact when each
     * window's two sums stay within [−128, 127]: {@link Accumulation}); the split sums are widened
     * every {@code anyWindow} taps or fewer (exact when any window of that many taps sums within
     * 16 bits). The block's weights at {@code w[block ..]}, span-major with spans of {@code pairChunk}.
     */
    static void tilePairs(short[] w, int block, int k, short[] packed, int[] off, int o0, int pairChunk, int anyWindow, int[] acc, short[] part) {
        Simd.tilePairs(w, block, k, packed, off, o0, pairChunk, anyWindow, acc, part);
    }

    /** Scalar twin of {@link #pair}. */
    static void pairScalar(short[] src, int n) {
        int t = tile();
        for (int i = 0; i < n; i++) {
            src[i] = (short) (src[i] + (src[i + t] << 8));
        }
    }

    /**
     * In place, {@code src[i] = src[i] + 256·src[i + T]} (modulo 2^16) for i < n, ascending (each
     * element is read before it is overwritten): the code planes as {@link #tilePairs} reads them.
     */
    static void pair(short[] src, int n) {
        Simd.pair(src, n);
    }

    /**
     * Float lanes, converted to int32 and added every {@code span} taps (exact when no partial sum
     * of a span passes 2^24 in magnitude: {@link Accumulation#floatSpan()}); the block's weights
     * (codes as floats) at {@code w[block ..]}, span-major with spans of {@code span}. The codes are
     * read as shorts and converted in registers: the planes stay those of the 16-bit paths. Only
     * the first {@code count} positions are wanted: a tile computes them in passes of
     * {@link #floatPass()} positions and skips the passes past them (the rest of {@code acc} is
     * left as it was).
     */
    static void tileFloat(float[] w, int block, int k, short[] src, int[] off, int o0, int span, int count, int[] acc) {
        Simd.tileFloat(w, block, k, src, off, o0, span, count, acc);
    }

    /** Positions a float tile computes per pass: four float vectors (64 with 512-bit vectors). */
    static int floatPass() {
        return 4 * Simd.FS.length();
    }

    /** Scalar twin of {@link #widen}: {@code dst[to + j] = code(src[from + j])} for j < n. */
    static void widenScalar(byte[] src, int from, boolean unsigned, short[] dst, int to, int n) {
        int mask = unsigned ? 0xFF : -1;
        for (int j = 0; j < n; j++) {
            dst[to + j] = (short) (src[from + j] & mask);
        }
    }

    /** Byte codes (unsigned 0..255 or signed) to shorts, SIMD: how code planes and weights reach the kernels. */
    static void widen(byte[] src, int from, boolean unsigned, short[] dst, int to, int n) {
        Simd.widen(src, from, unsigned, dst, to, n);
    }

    /** Scalar twin of {@link #deinterleave}: codes {@code src[from + 2j]} to {@code dst[even + j]}, {@code src[from + 2j + 1]} to {@code dst[odd + j]}, for 2j (+1) < n. */
    static void deinterleaveScalar(byte[] src, int from, boolean unsigned, short[] dst, int even, int odd, int n) {
        int mask = unsigned ? 0xFF : -1;
        for (int x = 0; x < n; x++) {
            dst[(x & 1) == 0 ? even + x / 2 : odd + x / 2] = (short) (src[from + x] & mask);
        }
    }

    /** A row of byte codes split into its even and odd columns, widened to shorts (the phase planes of a stride-2 conv), SIMD. */
    static void deinterleave(byte[] src, int from, boolean unsigned, short[] dst, int even, int odd, int n) {
        Simd.deinterleave(src, from, unsigned, dst, even, odd, n);
    }

    /**
     * The Vector API code, in a class of its own: the scalar twins must run on a JVM started
     * without {@code --add-modules jdk.incubator.vector} (class path), and a class's bytecode is
     * verified as a whole when it links, loading the vector classes its methods use. This class
     * links only when a SIMD kernel first runs.
     */
    private static final class Simd {
        static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED;
        /** int lanes of the same width: half the short lanes. */
        static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED.withShape(SS.vectorShape());
        /** float lanes of the same width. */
        static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED.withShape(SS.vectorShape());
        /** shorts that widen to one int (or float) vector. */
        static final VectorSpecies<Short> HS = ShortVector.SPECIES_64.withShape(VectorShape.forBitSize(IS.length() * 16));
        static final int TILE = 4 * SS.length();

        /** bytes that widen to one short vector. */
        static final VectorSpecies<Byte> BS = ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(SS.length() * 8));

        static void widen(byte[] src, int from, boolean unsigned, short[] dst, int to, int n) {
            // one loop per conversion: C2 intrinsifies a conversion only when its operator is a
            // constant, and one chosen at run time left every widening in the Java fallback
            // (6% of a W4A4 ResNet-20 forward)
            if (unsigned) {
                widenUnsigned(src, from, dst, to, n);
            } else {
                widenSigned(src, from, dst, to, n);
            }
        }

        private static void widenUnsigned(byte[] src, int from, short[] dst, int to, int n) {
            int j = 0;
            for (; j + SS.length() <= n; j += SS.length()) {
                ((ShortVector) ByteVector.fromArray(BS, src, from + j).convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0)).intoArray(dst, to + j);
            }
            if (j < n) {
                VectorMask<Byte> mb = BS.indexInRange(j, n);
                ((ShortVector) ByteVector.fromArray(BS, src, from + j, mb).convertShape(VectorOperators.ZERO_EXTEND_B2S, SS, 0))
                        .intoArray(dst, to + j, mb.cast(SS));
            }
        }

        private static void widenSigned(byte[] src, int from, short[] dst, int to, int n) {
            int j = 0;
            for (; j + SS.length() <= n; j += SS.length()) {
                ((ShortVector) ByteVector.fromArray(BS, src, from + j).convertShape(VectorOperators.B2S, SS, 0)).intoArray(dst, to + j);
            }
            if (j < n) {
                VectorMask<Byte> mb = BS.indexInRange(j, n);
                ((ShortVector) ByteVector.fromArray(BS, src, from + j, mb).convertShape(VectorOperators.B2S, SS, 0)).intoArray(dst, to + j, mb.cast(SS));
            }
        }

        /** A pair of byte columns read as one little-endian short: the even column is its low byte, the odd its high. */
        private static final VectorSpecies<Byte> PAIRS = ByteVector.SPECIES_128;

        static void deinterleave(byte[] src, int from, boolean unsigned, short[] dst, int even, int odd, int n) {
            int pairs = PAIRS.length() / 2;
            int j = 0;
            for (; 2 * (j + pairs) <= n; j += pairs) {
                ShortVector s = ByteVector.fromArray(PAIRS, src, from + 2 * j).reinterpretAsShorts();
                ShortVector lo = unsigned ? s.and((short) 0xFF) : s.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
                // constant operators on each side (see widen)
                ShortVector hi = unsigned ? s.lanewise(VectorOperators.LSHR, 8) : s.lanewise(VectorOperators.ASHR, 8);
                lo.intoArray(dst, even + j);
                hi.intoArray(dst, odd + j);
            }
            int mask = unsigned ? 0xFF : -1;
            for (int x = 2 * j; x < n; x++) {
                dst[(x & 1) == 0 ? even + x / 2 : odd + x / 2] = (short) (src[from + x] & mask);
            }
        }

        static void tileShort(short[] w, int block, int k, short[] src, int[] off, int o0, int chunk, int[] acc, short[] part) {
            // the chunk loop and the widening stay out of the multiply loop's method: a small
            // method is what C2 compiles with every vector op intrinsified
            for (int t0 = 0; t0 < k; t0 += chunk) {
                chunk(w, block + ROWS * t0, Math.min(chunk, k - t0), src, off, t0, o0, part);
                widenAdd(part, acc, t0 == 0);
            }
        }

        /**
         * part[r·T + j] = Σ_{i < len} w[span + r·len + i]·src[off[t0 + i] + o0 + j] in 16-bit lanes
         * (one span of the block's weights, its rows len apart):
         * 4 rows × 4 vectors, 16 accumulators. Per tap 4 loads and 4 weight broadcasts feed 16
         * multiplies and 16 adds; with 2 vectors per row (8 accumulators) the broadcasts were a
         * fifth of the vector instructions, and Zen 5 issues two vpmullw a cycle.
         */
        private static void chunk(short[] w, int span, int len, short[] src, int[] off, int t0, int o0, short[] part) {
            int sl = SS.length();
            int w0 = span;
            int w1 = w0 + len;
            int w2 = w1 + len;
            int w3 = w2 + len;
            ShortVector a00 = ShortVector.zero(SS);
            ShortVector a01 = a00;
            ShortVector a02 = a00;
            ShortVector a03 = a00;
            ShortVector a10 = a00;
            ShortVector a11 = a00;
            ShortVector a12 = a00;
            ShortVector a13 = a00;
            ShortVector a20 = a00;
            ShortVector a21 = a00;
            ShortVector a22 = a00;
            ShortVector a23 = a00;
            ShortVector a30 = a00;
            ShortVector a31 = a00;
            ShortVector a32 = a00;
            ShortVector a33 = a00;
            for (int t = 0; t < len; t++) {
                int s = off[t0 + t] + o0;
                ShortVector x0 = ShortVector.fromArray(SS, src, s);
                ShortVector x1 = ShortVector.fromArray(SS, src, s + sl);
                ShortVector x2 = ShortVector.fromArray(SS, src, s + 2 * sl);
                ShortVector x3 = ShortVector.fromArray(SS, src, s + 3 * sl);
                ShortVector c = ShortVector.broadcast(SS, w[w0 + t]);
                a00 = x0.mul(c).add(a00);
                a01 = x1.mul(c).add(a01);
                a02 = x2.mul(c).add(a02);
                a03 = x3.mul(c).add(a03);
                c = ShortVector.broadcast(SS, w[w1 + t]);
                a10 = x0.mul(c).add(a10);
                a11 = x1.mul(c).add(a11);
                a12 = x2.mul(c).add(a12);
                a13 = x3.mul(c).add(a13);
                c = ShortVector.broadcast(SS, w[w2 + t]);
                a20 = x0.mul(c).add(a20);
                a21 = x1.mul(c).add(a21);
                a22 = x2.mul(c).add(a22);
                a23 = x3.mul(c).add(a23);
                c = ShortVector.broadcast(SS, w[w3 + t]);
                a30 = x0.mul(c).add(a30);
                a31 = x1.mul(c).add(a31);
                a32 = x2.mul(c).add(a32);
                a33 = x3.mul(c).add(a33);
            }
            a00.intoArray(part, 0);
            a01.intoArray(part, sl);
            a02.intoArray(part, 2 * sl);
            a03.intoArray(part, 3 * sl);
            a10.intoArray(part, TILE);
            a11.intoArray(part, TILE + sl);
            a12.intoArray(part, TILE + 2 * sl);
            a13.intoArray(part, TILE + 3 * sl);
            a20.intoArray(part, 2 * TILE);
            a21.intoArray(part, 2 * TILE + sl);
            a22.intoArray(part, 2 * TILE + 2 * sl);
            a23.intoArray(part, 2 * TILE + 3 * sl);
            a30.intoArray(part, 3 * TILE);
            a31.intoArray(part, 3 * TILE + sl);
            a32.intoArray(part, 3 * TILE + 2 * sl);
            a33.intoArray(part, 3 * TILE + 3 * sl);
        }

        static void pair(short[] src, int n) {
            int sl = SS.length();
            int i = 0;
            for (; i + sl <= n; i += sl) {
                ShortVector hi = ShortVector.fromArray(SS, src, i + TILE).lanewise(VectorOperators.LSHL, 8);
                ShortVector.fromArray(SS, src, i).add(hi).intoArray(src, i);
            }
            for (; i < n; i++) {
                src[i] = (short) (src[i] + (src[i + TILE] << 8));
            }
        }

        static void tilePairs(short[] w, int block, int k, short[] packed, int[] off, int o0, int pairChunk, int anyWindow, int[] acc, short[] part) {
            // split sums stay in 16 bits (part[R·T ..], R·2T of them) for as many pair chunks as
            // the 16-bit bound allows, then widen: a split costs half of one that widens
            int group = Math.max(1, anyWindow / pairChunk) * pairChunk;
            for (int g0 = 0; g0 < k; g0 += group) {
                int g1 = Math.min(k, g0 + group);
                for (int t0 = g0; t0 < g1; t0 += pairChunk) {
                    chunk(w, block + ROWS * t0, Math.min(pairChunk, g1 - t0), packed, off, t0, o0, part);
                    split(part, t0 == g0);
                }
                widenAdd(part, ROWS * TILE, acc, 2 * ROWS * TILE, g0 == 0);
            }
        }

        /**
         * The two sums each lane of part[0 .. R·T) holds, added (or, first, stored) in 16 bits to
         * part[R·T ..]: lane j of row r, S = S_a + 256·S_b, gives S_a (its low byte, signed) to
         * position j of row r (part[R·T + r·2T + j]) and S_b = (S − S_a) >> 8 to position T + j.
         */
        private static void split(short[] part, boolean first) {
            int sl = SS.length();
            int base = ROWS * TILE;
            for (int r = 0; r < ROWS; r++) {
                for (int j = 0; j < TILE; j += sl) {
                    ShortVector v = ShortVector.fromArray(SS, part, r * TILE + j);
                    ShortVector a = v.lanewise(VectorOperators.LSHL, 8).lanewise(VectorOperators.ASHR, 8);
                    ShortVector b = v.sub(a).lanewise(VectorOperators.ASHR, 8);
                    int lo = base + r * 2 * TILE + j;
                    int hi = lo + TILE;
                    if (!first) {
                        a = a.add(ShortVector.fromArray(SS, part, lo));
                        b = b.add(ShortVector.fromArray(SS, part, hi));
                    }
                    a.intoArray(part, lo);
                    b.intoArray(part, hi);
                }
            }
        }

        /** acc (+)= part, sign-extended to int. */
        private static void widenAdd(short[] part, int[] acc, boolean first) {
            widenAdd(part, 0, acc, ROWS * TILE, first);
        }

        /** acc[j] (+)= part[from + j], sign-extended to int, for j < n. */
        private static void widenAdd(short[] part, int from, int[] acc, int n, boolean first) {
            int il = IS.length();
            for (int j = 0; j < n; j += SS.length()) {
                ShortVector v = ShortVector.fromArray(SS, part, from + j);
                IntVector lo = (IntVector) v.convertShape(VectorOperators.S2I, IS, 0);
                IntVector hi = (IntVector) v.convertShape(VectorOperators.S2I, IS, 1);
                if (!first) {
                    lo = lo.add(IntVector.fromArray(IS, acc, j));
                    hi = hi.add(IntVector.fromArray(IS, acc, j + il));
                }
                lo.intoArray(acc, j);
                hi.intoArray(acc, j + il);
            }
        }

        static void tileFloat(float[] w, int block, int k, short[] src, int[] off, int o0, int span, int count, int[] acc) {
            int end = Math.min(TILE, count);
            for (int t0 = 0; t0 < k; t0 += span) {
                int len = Math.min(span, k - t0);
                // 4 float vectors per row cover half a tile's positions (a pass): at batch 1 a 16×16
                // image's grid (16·17 positions) ends 16 positions into its last tile, one pass of two
                for (int h = 0; h < end; h += 4 * FS.length()) {
                    floatSpan(w, block + ROWS * t0, len, src, off, t0, o0 + h, acc, h, t0 == 0);
                }
            }
        }

        /**
         * acc[r·T + at + j] (+)= Σ_{i < len} w[span + r·len + i]·src[off[t0 + i] + o0 + j] for j < 4
         * float vectors, in float lanes (exact below 2^24), then converted: 4 rows × 4 vectors.
         */
        private static void floatSpan(float[] w, int span, int len, short[] src, int[] off, int t0, int o0, int[] acc, int at, boolean first) {
            int fl = FS.length();
            int w0 = span;
            int w1 = w0 + len;
            int w2 = w1 + len;
            int w3 = w2 + len;
            FloatVector a00 = FloatVector.zero(FS);
            FloatVector a01 = a00;
            FloatVector a02 = a00;
            FloatVector a03 = a00;
            FloatVector a10 = a00;
            FloatVector a11 = a00;
            FloatVector a12 = a00;
            FloatVector a13 = a00;
            FloatVector a20 = a00;
            FloatVector a21 = a00;
            FloatVector a22 = a00;
            FloatVector a23 = a00;
            FloatVector a30 = a00;
            FloatVector a31 = a00;
            FloatVector a32 = a00;
            FloatVector a33 = a00;
            for (int t = 0; t < len; t++) {
                int s = off[t0 + t] + o0;
                FloatVector x0 = loadFloat(src, s);
                FloatVector x1 = loadFloat(src, s + fl);
                FloatVector x2 = loadFloat(src, s + 2 * fl);
                FloatVector x3 = loadFloat(src, s + 3 * fl);
                FloatVector c = FloatVector.broadcast(FS, w[w0 + t]);
                a00 = x0.fma(c, a00);
                a01 = x1.fma(c, a01);
                a02 = x2.fma(c, a02);
                a03 = x3.fma(c, a03);
                c = FloatVector.broadcast(FS, w[w1 + t]);
                a10 = x0.fma(c, a10);
                a11 = x1.fma(c, a11);
                a12 = x2.fma(c, a12);
                a13 = x3.fma(c, a13);
                c = FloatVector.broadcast(FS, w[w2 + t]);
                a20 = x0.fma(c, a20);
                a21 = x1.fma(c, a21);
                a22 = x2.fma(c, a22);
                a23 = x3.fma(c, a23);
                c = FloatVector.broadcast(FS, w[w3 + t]);
                a30 = x0.fma(c, a30);
                a31 = x1.fma(c, a31);
                a32 = x2.fma(c, a32);
                a33 = x3.fma(c, a33);
            }
            store(a00, acc, at, first);
            store(a01, acc, at + fl, first);
            store(a02, acc, at + 2 * fl, first);
            store(a03, acc, at + 3 * fl, first);
            store(a10, acc, at + TILE, first);
            store(a11, acc, at + TILE + fl, first);
            store(a12, acc, at + TILE + 2 * fl, first);
            store(a13, acc, at + TILE + 3 * fl, first);
            store(a20, acc, at + 2 * TILE, first);
            store(a21, acc, at + 2 * TILE + fl, first);
            store(a22, acc, at + 2 * TILE + 2 * fl, first);
            store(a23, acc, at + 2 * TILE + 3 * fl, first);
            store(a30, acc, at + 3 * TILE, first);
            store(a31, acc, at + 3 * TILE + fl, first);
            store(a32, acc, at + 3 * TILE + 2 * fl, first);
            store(a33, acc, at + 3 * TILE + 3 * fl, first);
        }

        private static FloatVector loadFloat(short[] src, int at) {
            return (FloatVector) ShortVector.fromArray(HS, src, at).convertShape(VectorOperators.S2F, FS, 0);
        }

        /** acc[at ..] (+)= the lanes of v, which hold integers (exact conversion). */
        private static void store(FloatVector v, int[] acc, int at, boolean first) {
            IntVector i = (IntVector) v.convert(VectorOperators.F2I, 0);
            if (!first) {
                i = i.add(IntVector.fromArray(IS, acc, at));
            }
            i.intoArray(acc, at);
        }
    }
}
