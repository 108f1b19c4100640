package org.jqat.qat.infer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.jqat.core.backend.VectorApi;

/**
 * Bit-serial convolution tiles for 2-bit codes: input codes in [0, 3], weight codes in [−2, 1]
 * (W2A2, and anything narrower). A code is split into its bits, {@code a = a0 + 2·a1} and, in
 * two's complement, {@code w = w0 − 2·w1}, so
 * {@code Σ a·w = s00 − 2·s01 + 2·s10 − 4·s11} with {@code s_ij = Σ popcount(A_i & W_j)}, where
 * {@code A_i} packs bit i of 16 channels' codes at one position into a 16-bit word and {@code W_j}
 * bit j of one output channel's 16 weights at one tap. One AND, one population count
 * ({@code vpopcntw}, AVX-512 BITALG) and one add take a bit pair of 16 channels in each of 32
 * lanes (16 positions, two bit pairs each, by the lane arrangement below): on one Zen 5 core the
 * loop ran 493 G two-bit multiply-adds/s against 183 G for 16-bit lanes.
 *
 * <p>Layouts. The input: per group g of 16 channels, the code planes' positions (the same
 * geometry as {@link IntConv}'s planes: padded, shared or phase planes) with the two bit words
 * side by side, {@code bits[2·(g·len + q)] = A0}, {@code bits[2·(g·len + q) + 1] = A1}; channels
 * past the last one hold the zero point (a tile reading past a group's plane must find the next
 * plane's border there, as in the code planes). The weights: per block of {@link ConvKernel#ROWS} rows, per word
 * (g, tap), per row, two ints: {@code W0 | W1 << 16} and {@code W1 | W0 << 16}. Broadcast over a
 * short vector, the first ANDs even lanes (A0) with W0 and odd lanes (A1) with W1 (s00 and s11),
 * the second gives s01 and s10: two bit pairs per AND, from one 32-bit broadcast load.
 *
 * <p>Exactness. Each 16-bit lane adds one population count of at most 16 per word; with at most
 * {@link #MAX_WORDS} words a lane stays below 2^16 and is read back unsigned, so every sum is
 * exact; the four sums combine in int32.
 */
final class BitSerial {
    /** Channels per word. */
    static final int GROUP = 16;

    /** The most words (channel groups × taps) a row may take: 4095·16 < 2^16. */
    static final int MAX_WORDS = 4095;

    /** {@code jqat.int.bitserial}: {@code auto} (where the CPU counts bits in vectors), {@code on} or {@code off}. */
    static final String PROPERTY = "jqat.int.bitserial";

    private BitSerial() {
    }

    /** Whether codes in these ranges fit the two bit planes (input [0, 3], weights [−2, 1]). */
    static boolean fits(int wMin, int wMax, int aMin, int aMax) {
        return aMin >= 0 && aMax <= 3 && wMin >= -2 && wMax <= 1;
    }

    /** The words a row of {@code inChannels·taps} codes takes. */
    static int words(int inChannels, int taps) {
        return (inChannels + GROUP - 1) / GROUP * taps;
    }

    /**
     * Whether layers that fit take the bit-serial tiles: {@code on}, {@code off}, or by default
     * where the JVM has the Vector API, 512-bit vectors and the CPU a vector population count of
     * 16-bit lanes (AVX-512 BITALG). Without it C2 counts bits in a longer sequence: 51 G
     * multiply-adds/s with 256-bit vectors on the same core, slower than 16-bit lanes.
     */
    static boolean enabled() {
        String mode = System.getProperty(PROPERTY, "auto");
        return switch (mode) {
            case "on" -> true;
            case "off" -> false;
            case "auto" -> Hardware.FAST;
            default -> throw new IllegalArgumentException(PROPERTY + " must be auto, on or off, got '" + mode + "'");
        };
    }

    /** The CPU check, once per JVM. */
    private static final class Hardware {
        static final boolean FAST = VectorApi.available() && Simd.SS.length() >= 32 && cpuFlag("avx512_bitalg");

        private static boolean cpuFlag(String flag) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (line.startsWith("flags")) {
                        return (" " + line.substring(line.indexOf(':') + 1) + " ").contains(" " + flag + " ");
                    }
                }
            } catch (IOException | RuntimeException e) {
                // not Linux, or unreadable: take the 16-bit lanes
            }
            return false;
        }
    }

    /**
     * The weights of {@code codes} ({@code rows × inChannels·taps}, row-major, tap-minor as
     * {@link IntConv} orders them) in the tile's layout, rows padded with zeros to a multiple of
     * {@link ConvKernel#ROWS}.
     */
    static int[] weights(byte[] codes, int rows, int inChannels, int taps) {
        int k = inChannels * taps;
        int groups = (inChannels + GROUP - 1) / GROUP;
        int words = groups * taps;
        int blocks = (rows + ConvKernel.ROWS - 1) / ConvKernel.ROWS;
        int[] out = new int[blocks * words * ConvKernel.ROWS * 2];
        for (int row = 0; row < rows; row++) {
            int b = row / ConvKernel.ROWS;
            int r = row % ConvKernel.ROWS;
            for (int g = 0; g < groups; g++) {
                for (int tap = 0; tap < taps; tap++) {
                    int w0 = 0;
                    int w1 = 0;
                    for (int c = 0; c < GROUP && g * GROUP + c < inChannels; c++) {
                        int u = codes[row * k + (g * GROUP + c) * taps + tap] & 3; // two's complement: w = w0 − 2·w1
                        w0 |= (u & 1) << c;
                        w1 |= (u >> 1) << c;
                    }
                    int at = ((b * words + g * taps + tap) * ConvKernel.ROWS + r) * 2;
                    out[at] = w0 | w1 << 16;
                    out[at + 1] = w1 | w0 << 16;
                }
            }
        }
        return out;
    }

    /**
     * Each word's offset (in positions) from an output's grid position in the bit planes, from
     * {@code off}, the taps' offsets in code planes whose channels lie {@code len} apart: word
     * (g, tap) reads where channel 16g's tap does, less the 15g channel planes a group replaces.
     */
    static int[] offsets(int[] off, int inChannels, int taps, int len, int[] out) {
        int groups = (inChannels + GROUP - 1) / GROUP;
        for (int g = 0; g < groups; g++) {
            for (int tap = 0; tap < taps; tap++) {
                out[g * taps + tap] = off[g * GROUP * taps + tap] - (GROUP - 1) * g * len;
            }
        }
        return out;
    }

    /** Shorts of the bit planes for {@code inChannels} channel planes of {@code len} positions and {@code slack} positions past them. */
    static int bitsLength(int inChannels, int len, int slack) {
        return 2 * ((inChannels + GROUP - 1) / GROUP * len + slack);
    }

    /**
     * The bit planes of code planes {@code codes} (channel ci's positions at {@code ci·len}, codes
     * in [0, 3]) into {@code bits} ({@link #bitsLength} shorts). The slack holds the zero point's
     * bits in every channel: the code planes' tiles read the next plane's top border past a
     * plane's end, and past the last one the zero point the planes were filled with.
     */
    static void pack(short[] codes, int inChannels, int len, int slack, int zeroPoint, short[] bits) {
        Simd.pack(codes, inChannels, len, zeroPoint, bits);
        fillSlack(inChannels, len, slack, zeroPoint, bits);
    }

    private static void fillSlack(int inChannels, int len, int slack, int zeroPoint, short[] bits) {
        short a0 = (short) ((zeroPoint & 1) == 0 ? 0 : 0xFFFF);
        short a1 = (short) ((zeroPoint & 2) == 0 ? 0 : 0xFFFF);
        for (int i = 2 * ((inChannels + GROUP - 1) / GROUP * len), end = i + 2 * slack; i < end; i += 2) {
            bits[i] = a0;
            bits[i + 1] = a1;
        }
    }

    /** Scalar twin of {@link #pack}. */
    static void packScalar(short[] codes, int inChannels, int len, int slack, int zeroPoint, short[] bits) {
        int groups = (inChannels + GROUP - 1) / GROUP;
        for (int g = 0; g < groups; g++) {
            int absent = absent(inChannels - g * GROUP);
            for (int q = 0; q < len; q++) {
                int a0 = (zeroPoint & 1) == 0 ? 0 : absent;
                int a1 = (zeroPoint & 2) == 0 ? 0 : absent;
                for (int c = 0; c < GROUP && g * GROUP + c < inChannels; c++) {
                    int a = codes[(g * GROUP + c) * len + q];
                    a0 |= (a & 1) << c;
                    a1 |= (a >> 1 & 1) << c;
                }
                bits[2 * (g * len + q)] = (short) a0;
                bits[2 * (g * len + q) + 1] = (short) a1;
            }
        }
        fillSlack(inChannels, len, slack, zeroPoint, bits);
    }

    /** The bits of a group's channels past the last one, for a group of {@code channels} channels. */
    private static int absent(int channels) {
        return channels >= GROUP ? 0 : 0xFFFF & (0xFFFF << channels);
    }

    /** Positions a tile covers: {@link ConvKernel#tile()}. */
    static int tile() {
        return ConvKernel.tile();
    }

    /**
     * The register tile: {@code acc[r·T + j]} = the sum of {@code a·w} over every word's 16
     * channels (every tap of every channel group) for the {@link ConvKernel#ROWS} rows of the weight block at {@code w[block ..]} and the T positions from {@code o0};
     * {@code part} ({@link #partLength()} shorts) holds the 16-bit sums between passes.
     */
    static void tile(int[] w, int block, int words, short[] bits, int[] off, int o0, int[] acc, short[] part) {
        Simd.tile(w, block, words, bits, off, o0, acc, part);
    }

    /** Shorts of the {@code part} buffer {@link #tile} takes. */
    static int partLength() {
        return 16 * Simd.L;
    }

    /** Scalar twin of {@link #tile}: the four bit sums per row and position, combined. */
    static void tileScalar(int[] w, int block, int words, short[] bits, int[] off, int o0, int[] acc) {
        int t = tile();
        for (int r = 0; r < ConvKernel.ROWS; r++) {
            for (int j = 0; j < t; j++) {
                int s00 = 0;
                int s01 = 0;
                int s10 = 0;
                int s11 = 0;
                for (int word = 0; word < words; word++) {
                    int at = 2 * (off[word] + o0 + j);
                    int a0 = bits[at] & 0xFFFF;
                    int a1 = bits[at + 1] & 0xFFFF;
                    int diag = w[block + (word * ConvKernel.ROWS + r) * 2];
                    int w0 = diag & 0xFFFF;
                    int w1 = diag >>> 16;
                    s00 += Integer.bitCount(a0 & w0);
                    s01 += Integer.bitCount(a0 & w1);
                    s10 += Integer.bitCount(a1 & w0);
                    s11 += Integer.bitCount(a1 & w1);
                }
                acc[r * t + j] = s00 - 2 * s01 + 2 * s10 - 4 * s11;
            }
        }
    }

    /** The Vector API code, in a class of its own (see {@link Requantize}'s). */
    private static final class Simd {
        static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED;
        /** int lanes of the same width: one per position of an interleaved short vector. */
        static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED.withShape(SS.vectorShape());
        static final int L = SS.length();
        static final int HALF = L / 2;

        static void pack(short[] codes, int inChannels, int len, int zeroPoint, short[] bits) {
            int groups = (inChannels + GROUP - 1) / GROUP;
            for (int g = 0; g < groups; g++) {
                int c0 = g * GROUP;
                int cs = Math.min(GROUP, inChannels - c0);
                short absent0 = (short) ((zeroPoint & 1) == 0 ? 0 : absent(cs));
                short absent1 = (short) ((zeroPoint & 2) == 0 ? 0 : absent(cs));
                ShortVector init0 = ShortVector.broadcast(SS, absent0);
                ShortVector init1 = ShortVector.broadcast(SS, absent1);
                int q = 0;
                for (; q + L <= len; q += L) {
                    ShortVector a0 = init0;
                    ShortVector a1 = init1;
                    for (int c = 0; c < cs; c++) {
                        ShortVector v = ShortVector.fromArray(SS, codes, (c0 + c) * len + q);
                        a0 = a0.or(v.and((short) 1).lanewise(VectorOperators.LSHL, c));
                        a1 = a1.or(v.lanewise(VectorOperators.LSHR, 1).and((short) 1).lanewise(VectorOperators.LSHL, c));
                    }
                    // interleave: int lane j = A0[j] | A1[j] << 16, i.e. shorts A0, A1 side by side
                    IntVector lo0 = (IntVector) a0.convertShape(VectorOperators.ZERO_EXTEND_S2I, IS, 0);
                    IntVector lo1 = (IntVector) a0.convertShape(VectorOperators.ZERO_EXTEND_S2I, IS, 1);
                    IntVector hi0 = (IntVector) a1.convertShape(VectorOperators.ZERO_EXTEND_S2I, IS, 0);
                    IntVector hi1 = (IntVector) a1.convertShape(VectorOperators.ZERO_EXTEND_S2I, IS, 1);
                    int at = 2 * (g * len + q);
                    lo0.or(hi0.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(bits, at);
                    lo1.or(hi1.lanewise(VectorOperators.LSHL, 16)).reinterpretAsShorts().intoArray(bits, at + L);
                }
                for (; q < len; q++) {
                    int a0 = absent0 & 0xFFFF;
                    int a1 = absent1 & 0xFFFF;
                    for (int c = 0; c < cs; c++) {
                        int a = codes[(c0 + c) * len + q];
                        a0 |= (a & 1) << c;
                        a1 |= (a >> 1 & 1) << c;
                    }
                    bits[2 * (g * len + q)] = (short) a0;
                    bits[2 * (g * len + q) + 1] = (short) a1;
                }
            }
        }

        // Four rows × two vectors (L positions) a pass, diagonal and cross sums apart: 16
        // accumulators, two activation vectors and eight weight broadcasts in registers. The sums
        // go through part[] to the combining loop: written out in the same method, the combining
        // passed C2's inlining budget and left the vector operations in their Java fallbacks
        // (the tile ran 4x slower than the loop alone).
        static void tile(int[] w, int block, int words, short[] bits, int[] off, int o0, int[] acc, short[] part) {
            int t = ConvKernel.tile(); // four passes of L positions
            for (int p = 0; p < t; p += L) {
                sums(w, block, words, bits, off, o0 + p, part);
                combine(part, acc, p, t);
            }
        }

        /** The 16 accumulators of one pass into {@code part}: row r's diagonal and cross sums of vector v at {@code (4r + 2v) · L} and {@code + L}. */
        private static void sums(int[] w, int block, int words, short[] bits, int[] off, int o0, short[] part) {
            ShortVector z = ShortVector.zero(SS);
            ShortVector d00 = z, d01 = z, d10 = z, d11 = z, d20 = z, d21 = z, d30 = z, d31 = z;
            ShortVector x00 = z, x01 = z, x10 = z, x11 = z, x20 = z, x21 = z, x30 = z, x31 = z;
            for (int word = 0; word < words; word++) {
                int at = 2 * (off[word] + o0);
                ShortVector a0 = ShortVector.fromArray(SS, bits, at);
                ShortVector a1 = ShortVector.fromArray(SS, bits, at + L);
                int wi = block + word * 2 * ConvKernel.ROWS;
                ShortVector wd = IntVector.broadcast(IS, w[wi]).reinterpretAsShorts();
                ShortVector wx = IntVector.broadcast(IS, w[wi + 1]).reinterpretAsShorts();
                d00 = d00.add(a0.and(wd).lanewise(VectorOperators.BIT_COUNT));
                d01 = d01.add(a1.and(wd).lanewise(VectorOperators.BIT_COUNT));
                x00 = x00.add(a0.and(wx).lanewise(VectorOperators.BIT_COUNT));
                x01 = x01.add(a1.and(wx).lanewise(VectorOperators.BIT_COUNT));
                wd = IntVector.broadcast(IS, w[wi + 2]).reinterpretAsShorts();
                wx = IntVector.broadcast(IS, w[wi + 3]).reinterpretAsShorts();
                d10 = d10.add(a0.and(wd).lanewise(VectorOperators.BIT_COUNT));
                d11 = d11.add(a1.and(wd).lanewise(VectorOperators.BIT_COUNT));
                x10 = x10.add(a0.and(wx).lanewise(VectorOperators.BIT_COUNT));
                x11 = x11.add(a1.and(wx).lanewise(VectorOperators.BIT_COUNT));
                wd = IntVector.broadcast(IS, w[wi + 4]).reinterpretAsShorts();
                wx = IntVector.broadcast(IS, w[wi + 5]).reinterpretAsShorts();
                d20 = d20.add(a0.and(wd).lanewise(VectorOperators.BIT_COUNT));
                d21 = d21.add(a1.and(wd).lanewise(VectorOperators.BIT_COUNT));
                x20 = x20.add(a0.and(wx).lanewise(VectorOperators.BIT_COUNT));
                x21 = x21.add(a1.and(wx).lanewise(VectorOperators.BIT_COUNT));
                wd = IntVector.broadcast(IS, w[wi + 6]).reinterpretAsShorts();
                wx = IntVector.broadcast(IS, w[wi + 7]).reinterpretAsShorts();
                d30 = d30.add(a0.and(wd).lanewise(VectorOperators.BIT_COUNT));
                d31 = d31.add(a1.and(wd).lanewise(VectorOperators.BIT_COUNT));
                x30 = x30.add(a0.and(wx).lanewise(VectorOperators.BIT_COUNT));
                x31 = x31.add(a1.and(wx).lanewise(VectorOperators.BIT_COUNT));
            }
            d00.intoArray(part, 0);
            x00.intoArray(part, L);
            d01.intoArray(part, 2 * L);
            x01.intoArray(part, 3 * L);
            d10.intoArray(part, 4 * L);
            x10.intoArray(part, 5 * L);
            d11.intoArray(part, 6 * L);
            x11.intoArray(part, 7 * L);
            d20.intoArray(part, 8 * L);
            x20.intoArray(part, 9 * L);
            d21.intoArray(part, 10 * L);
            x21.intoArray(part, 11 * L);
            d30.intoArray(part, 12 * L);
            x30.intoArray(part, 13 * L);
            d31.intoArray(part, 14 * L);
            x31.intoArray(part, 15 * L);
        }

        /**
         * {@code acc[r·t + p + v·HALF + j] = s00 − 4·s11 − 2·(s01 − s10)} from the diagonal and
         * cross sums {@link #sums} left in {@code part}, for the 4 rows and 2 vectors of a pass.
         */
        private static void combine(short[] part, int[] acc, int p, int t) {
            for (int i = 0; i < 8; i++) {
                IntVector d = ShortVector.fromArray(SS, part, 2 * i * L).reinterpretAsInts();
                IntVector x = ShortVector.fromArray(SS, part, (2 * i + 1) * L).reinterpretAsInts();
                IntVector s00 = d.and(0xFFFF);
                IntVector s11 = d.lanewise(VectorOperators.LSHR, 16);
                IntVector s01 = x.and(0xFFFF);
                IntVector s10 = x.lanewise(VectorOperators.LSHR, 16);
                s00.sub(s11.lanewise(VectorOperators.LSHL, 2)).sub(s01.sub(s10).lanewise(VectorOperators.LSHL, 1))
                        .intoArray(acc, (i >> 1) * t + p + (i & 1) * HALF);
            }
        }
    }
}
