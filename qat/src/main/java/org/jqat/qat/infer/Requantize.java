package org.jqat.qat.infer;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The requantize kernel: int32 accumulators {@code [rows][n]} to codes (bytes) or to int32
 * (the residual stream), row r with {@link Requant}'s parameters of row r. SIMD over the columns
 * with 64-bit lanes; {@code *Scalar} are the twins the tests compare against.
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
        Simd.toCodes(acc, from, rows, n, q, out, to);
    }

    /** Scalar twin of {@link #toCodes}. */
    public static void toCodesScalar(int[] acc, int rows, int n, Requant q, byte[] out) {
        toCodesScalar(acc, 0, rows, n, q, out, 0);
    }

    public static void toCodesScalar(int[] acc, int from, int rows, int n, Requant q, byte[] out, int to) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                out[to + r * n + j] = (byte) q.apply(r, acc[from + r * n + j]);
            }
        }
    }

    /** SIMD: {@code out[r·n + j] = q.apply(r, acc[r·n + j])} as int32 (the residual stream). */
    public static void toInts(int[] acc, int rows, int n, Requant q, int[] out) {
        toInts(acc, 0, rows, n, q, out, 0);
    }

    /** As {@link #toInts(int[], int, int, Requant, int[])} on {@code acc[from..]} into {@code out[to..]}. */
    public static void toInts(int[] acc, int from, int rows, int n, Requant q, int[] out, int to) {
        Simd.toInts(acc, from, rows, n, q, out, to);
    }

    /** Scalar twin of {@link #toInts}. */
    public static void toIntsScalar(int[] acc, int rows, int n, Requant q, int[] out) {
        toIntsScalar(acc, 0, rows, n, q, out, 0);
    }

    public static void toIntsScalar(int[] acc, int from, int rows, int n, Requant q, int[] out, int to) {
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < n; j++) {
                out[to + r * n + j] = q.apply(r, acc[from + r * n + j]);
            }
        }
    }

    /** SIMD: {@code v[off + j] = q.apply(r, v[off + j])} for j < n, in place (a tile row of accumulators). */
    public static void rowInPlace(int[] v, int off, int n, Requant q, int r) {
        Simd.rowInPlace(v, off, n, q, r);
    }

    /** Scalar twin of {@link #rowInPlace}. */
    public static void rowInPlaceScalar(int[] v, int off, int n, Requant q, int r) {
        for (int j = off; j < off + n; j++) {
            v[j] = q.apply(r, v[j]);
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

        static LongVector lanes(int[] acc, int i, Requant q, int r) {
            IntVector a = IntVector.fromArray(IS, acc, i);
            LongVector v = (LongVector) a.convertShape(VectorOperators.I2L, LS, 0);
            long half = q.shift()[r] == 0 ? 0 : 1L << (q.shift()[r] - 1);
            v = v.mul(q.m()[r]).add(q.bias()[r] + half).lanewise(VectorOperators.ASHR, q.shift()[r]);
            return v.max(q.lo()).min(q.hi());
        }

        static void toCodes(int[] acc, int from, int rows, int n, Requant q, byte[] out, int to) {
            int bound = LS.length() == BS.length() ? n - n % LS.length() : 0;
            for (int r = 0; r < rows; r++) {
                int base = r * n;
                int j = 0;
                for (; j < bound; j += LS.length()) {
                    ByteVector b = (ByteVector) lanes(acc, from + base + j, q, r).convertShape(VectorOperators.L2B, BS, 0);
                    b.intoArray(out, to + base + j);
                }
                for (; j < n; j++) {
                    out[to + base + j] = (byte) q.apply(r, acc[from + base + j]);
                }
            }
        }

        static void rowInPlace(int[] v, int off, int n, Requant q, int r) {
            int j = 0;
            for (; j + LS.length() <= n; j += LS.length()) {
                IntVector x = (IntVector) lanes(v, off + j, q, r).convertShape(VectorOperators.L2I, IS, 0);
                x.intoArray(v, off + j);
            }
            for (; j < n; j++) {
                v[off + j] = q.apply(r, v[off + j]);
            }
        }

        static void toInts(int[] acc, int from, int rows, int n, Requant q, int[] out, int to) {
            int bound = n - n % LS.length();
            for (int r = 0; r < rows; r++) {
                int base = r * n;
                int j = 0;
                for (; j < bound; j += LS.length()) {
                    IntVector v = (IntVector) lanes(acc, from + base + j, q, r).convertShape(VectorOperators.L2I, IS, 0);
                    v.intoArray(out, to + base + j);
                }
                for (; j < n; j++) {
                    out[to + base + j] = q.apply(r, acc[from + base + j]);
                }
            }
        }
    }
}
