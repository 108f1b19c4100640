package org.jqat.qat.infer;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The requantize kernels: int32 accumulators to codes (bytes) or to int32 (the residual stream),
 * row r with {@link Requant}'s parameters of row r, and the basic block's end (requantize, add the
 * rescaled shortcut, ReLU). SIMD over the columns with 64-bit lanes, so the fixed-point product
 * {@code acc·m} is exact; {@code *Scalar} are the twins the tests compare against. The
 * {@code *Row} forms take one run of one row: the conv epilogue calls them on each run of valid
 * outputs of a tile.
 */
public final class Requantize {
    private Requantize() {
    }

    /** SIMD: {@code out[r·n + j] = (byte) q.apply(r, acc[r·n + j])}. */
    public static void toCodes(int[] acc, int rows, int n, Requant q, byte[] out) {
        toCodes(acc, 0, rows, n, q, out, 0);
    }

    /** As {@link #toCodes(int[], int, int, Requant, byte[])} on {@code acc[from..]} into {@code out[to..]} (one image of a batch). */
    public static void toCodes(int[] acc, int from, int rows, int n, Requant q, byte[] out, int to) {
        for (int r = 0; r < rows; r++) {
            codesRow(acc, from + r * n, n, q, r, out, to + r * n);
        }
    }

    /** Scalar twin of {@link #toCodes}. */
    public static void toCodesScalar(int[] acc, int rows, int n, Requant q, byte[] out) {
        toCodesScalar(acc, 0, rows, n, q, out, 0);
    }

    public static void toCodesScalar(int[] acc, int from, int rows, int n, Requant q, byte[] out, int to) {
        for (int r = 0; r < rows; r++) {
            codesRowScalar(acc, from + r * n, n, q, r, out, to + r * n);
        }
    }

    /** SIMD: {@code out[r·n + j] = q.apply(r, acc[r·n + j])} as int32 (the residual stream). */
    public static void toInts(int[] acc, int rows, int n, Requant q, int[] out) {
        for (int r = 0; r < rows; r++) {
            intsRow(acc, r * n, n, q, r, out, r * n);
        }
    }

    /** Scalar twin of {@link #toInts}. */
    public static void toIntsScalar(int[] acc, int rows, int n, Requant q, int[] out) {
        for (int r = 0; r < rows; r++) {
            intsRowScalar(acc, r * n, n, q, r, out, r * n);
        }
    }

    /** SIMD: {@code out[to + j] = (byte) q.apply(r, acc[from + j])} for j < n. */
    public static void codesRow(int[] acc, int from, int n, Requant q, int r, byte[] out, int to) {
        Simd.codesRow(acc, from, n, q, r, out, to);
    }

    public static void codesRowScalar(int[] acc, int from, int n, Requant q, int r, byte[] out, int to) {
        for (int j = 0; j < n; j++) {
            out[to + j] = (byte) q.apply(r, acc[from + j]);
        }
    }

    /**
     * SIMD: {@code out[to + j] = (short) q.apply(r, acc[from + j])} for j < n: the codes as the
     * 16-bit code planes hold them (a byte code widened by its signedness is the same value), in
     * one pass instead of a byte row and a widening.
     */
    public static void shortsRow(int[] acc, int from, int n, Requant q, int r, short[] out, int to) {
        Simd.shortsRow(acc, from, n, q, r, out, to);
    }

    public static void shortsRowScalar(int[] acc, int from, int n, Requant q, int r, short[] out, int to) {
        for (int j = 0; j < n; j++) {
            out[to + j] = (short) q.apply(r, acc[from + j]);
        }
    }

    /** SIMD: {@code out[to + j] = q.apply(r, acc[from + j])} for j < n. */
    public static void intsRow(int[] acc, int from, int n, Requant q, int r, int[] out, int to) {
        Simd.intsRow(acc, from, n, q, r, out, to);
    }

    public static void intsRowScalar(int[] acc, int from, int n, Requant q, int r, int[] out, int to) {
        for (int j = 0; j < n; j++) {
            out[to + j] = q.apply(r, acc[from + j]);
        }
    }

    /**
     * SIMD: the basic block's end, {@code out[to + j] = max(0, q.apply(r, acc[from + j]) + id.apply(r, x[at + j]))}
     * with the sum saturated to int32 (the ReLU after the residual add).
     */
    public static void residualRow(int[] acc, int from, Requant q, int[] x, int at, Requant id, int r, int n, int[] out, int to) {
        Simd.residualRow(acc, from, q, x, at, id, r, n, out, to);
    }

    /** Scalar twin of {@link #residualRow}. */
    public static void residualRowScalar(int[] acc, int from, Requant q, int[] x, int at, Requant id, int r, int n, int[] out, int to) {
        for (int j = 0; j < n; j++) {
            long s = (long) q.apply(r, acc[from + j]) + id.apply(r, x[at + j]);
            out[to + j] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, s));
        }
    }

    /**
     * The Vector API code, in a class of its own: the scalar twins must run on a JVM started
     * without {@code --add-modules jdk.incubator.vector} (class path), and a class's bytecode is
     * verified as a whole when it links, loading the vector classes its methods use. This class
     * links only when a SIMD kernel first runs.
     */
    private static final class Simd {
        static final VectorSpecies<Long> LS = LongVector.SPECIES_PREFERRED;
        static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED.withShape(
                jdk.incubator.vector.VectorShape.forBitSize(LS.length() * 32));
        static final VectorSpecies<Byte> BS = ByteVector.SPECIES_PREFERRED.withShape(
                jdk.incubator.vector.VectorShape.forBitSize(Math.max(64, LS.length() * 8)));
        static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED.withShape(
                jdk.incubator.vector.VectorShape.forBitSize(Math.max(64, LS.length() * 16)));

        /**
         * {@code clamp((acc·m + add) >> shift, lo, hi)} of the lanes of {@code mask} of
         * LS.length() accumulators from {@code acc[i]}, in 64-bit lanes (the others read as 0);
         * {@code add} is row r's bias plus the rounding half ({@link #add}). The callers read row
         * r's parameters once per run: read from the record's arrays per vector they cost a fifth
         * of the residual epilogue (one Zen 5 core, runs of 121–128 values: 45 against 36 ns).
         */
        static LongVector lanes(int[] acc, int i, VectorMask<Integer> mask, long m, long add, int shift, long lo, long hi) {
            LongVector v = (LongVector) IntVector.fromArray(IS, acc, i, mask).convertShape(VectorOperators.I2L, LS, 0);
            return v.mul(m).add(add).lanewise(VectorOperators.ASHR, shift).max(lo).min(hi);
        }

        /** Row r's bias plus the rounding half, 2^(shift−1). */
        static long add(Requant q, int r) {
            int shift = q.shift()[r];
            return q.bias()[r] + (shift == 0 ? 0 : 1L << (shift - 1));
        }

        // The conv epilogue hands over runs of a tile row (31, 33, 16 outputs...). Every vector is a
        // masked one: a scalar tail cost a third of a ResNet-20 forward, and one loop body (not a
        // full-vector loop plus a masked tail) keeps the methods small enough for C2 to intrinsify
        // every vector op (a second copy of the body once left the shifts in the Java fallback).

        static void codesRow(int[] acc, int from, int n, Requant q, int r, byte[] out, int to) {
            if (LS.length() != BS.length()) {
                codesRowScalar(acc, from, n, q, r, out, to);
                return;
            }
            // row r's parameters read per vector here: hoisted, this loop ran slower (22.3 against 19.5
            // ns per run of 121–128 values), unlike the residual ones
            for (int j = 0; j < n; j += LS.length()) {
                VectorMask<Integer> m = IS.indexInRange(j, n);
                ByteVector b = (ByteVector) lanes(acc, from + j, m, q.m()[r], add(q, r), q.shift()[r], q.lo(), q.hi())
                        .convertShape(VectorOperators.L2B, BS, 0);
                b.intoArray(out, to + j, m.cast(BS));
            }
        }

        static void shortsRow(int[] acc, int from, int n, Requant q, int r, short[] out, int to) {
            if (LS.length() != SS.length()) {
                shortsRowScalar(acc, from, n, q, r, out, to);
                return;
            }
            long mul = q.m()[r];
            long add = add(q, r);
            int shift = q.shift()[r];
            for (int j = 0; j < n; j += LS.length()) {
                VectorMask<Integer> m = IS.indexInRange(j, n);
                ShortVector v = (ShortVector) lanes(acc, from + j, m, mul, add, shift, q.lo(), q.hi()).convertShape(VectorOperators.L2S, SS, 0);
                v.intoArray(out, to + j, m.cast(SS));
            }
        }

        static void intsRow(int[] acc, int from, int n, Requant q, int r, int[] out, int to) {
            long mul = q.m()[r];
            long add = add(q, r);
            int shift = q.shift()[r];
            for (int j = 0; j < n; j += LS.length()) {
                VectorMask<Integer> m = IS.indexInRange(j, n);
                IntVector v = (IntVector) lanes(acc, from + j, m, mul, add, shift, q.lo(), q.hi()).convertShape(VectorOperators.L2I, IS, 0);
                v.intoArray(out, to + j, m);
            }
        }

        static void residualRow(int[] acc, int from, Requant q, int[] x, int at, Requant id, int r, int n, int[] out, int to) {
            if (id.isIdentity(r)) {
                residualRowAdd(acc, from, q, x, at, r, n, out, to);
                return;
            }
            long mul = q.m()[r];
            long add = add(q, r);
            int shift = q.shift()[r];
            long idMul = id.m()[r];
            long idAdd = add(id, r);
            int idShift = id.shift()[r];
            for (int j = 0; j < n; j += LS.length()) {
                VectorMask<Integer> m = IS.indexInRange(j, n);
                LongVector v = lanes(acc, from + j, m, mul, add, shift, q.lo(), q.hi())
                        .add(lanes(x, at + j, m, idMul, idAdd, idShift, id.lo(), id.hi())).max(0).min(Integer.MAX_VALUE);
                ((IntVector) v.convertShape(VectorOperators.L2I, IS, 0)).intoArray(out, to + j, m);
            }
        }

        /** {@link #residualRow} with an identity shortcut ({@link Requant#isIdentity}): the stream added as it is. */
        private static void residualRowAdd(int[] acc, int from, Requant q, int[] x, int at, int r, int n, int[] out, int to) {
            long mul = q.m()[r];
            long add = add(q, r);
            int shift = q.shift()[r];
            for (int j = 0; j < n; j += LS.length()) {
                VectorMask<Integer> m = IS.indexInRange(j, n);
                LongVector s = (LongVector) IntVector.fromArray(IS, x, at + j, m).convertShape(VectorOperators.I2L, LS, 0);
                LongVector v = lanes(acc, from + j, m, mul, add, shift, q.lo(), q.hi()).add(s).max(0).min(Integer.MAX_VALUE);
                ((IntVector) v.convertShape(VectorOperators.L2I, IS, 0)).intoArray(out, to + j, m);
            }
        }
    }
}
