package org.jqat.qat.infer;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * int8 × int8 → int32 GEMM: {@code c[m][n] = Σ_k a[m][k]·b[k][n]}, a = weight codes (signed,
 * supplied row block by row block by {@link WeightCodes}, so packed weights are unpacked on the
 * fly), b = activation codes (signed, or unsigned 0..255 when {@code bUnsigned}). The SIMD version
 * vectorizes over n: each b chunk is widened once (B2I, or the zero-extending B2I) to int lanes
 * and multiplied-accumulated into four rows at once with the broadcast weight. {@link #gemmScalar}
 * is the twin.
 */
public final class IntGemm {
    private static final int ROWS = 4;

    private IntGemm() {
    }

    public static void gemmScalar(WeightCodes a, byte[] b, boolean bUnsigned, int n, int[] c) {
        int m = a.rows();
        int k = a.cols();
        byte[] row = new byte[k];
        for (int i = 0; i < m; i++) {
            a.rowsScalar(i, 1, row);
            for (int j = 0; j < n; j++) {
                int s = 0;
                for (int t = 0; t < k; t++) {
                    int bv = bUnsigned ? b[t * n + j] & 0xFF : b[t * n + j];
                    s += row[t] * bv;
                }
                c[i * n + j] = s;
            }
        }
    }

    public static void gemm(WeightCodes a, byte[] b, boolean bUnsigned, int n, int[] c) {
        Simd.gemm(a, b, bUnsigned, n, c);
    }

    /**
     * The Vector API code, in a class of its own: the scalar twins must run on a JVM started
     * without {@code --add-modules jdk.incubator.vector} (class path), and a class's bytecode is
     * verified as a whole when it links, loading the vector classes its methods use. This class
     * links only when a SIMD kernel first runs.
     */
    private static final class Simd {
        static final VectorSpecies<Integer> IS = IntVector.SPECIES_PREFERRED;
        static final VectorSpecies<Byte> BS = ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(Math.max(64, IS.length() * 8)));

        static void gemm(WeightCodes a, byte[] b, boolean bUnsigned, int n, int[] c) {
            int m = a.rows();
            int k = a.cols();
            byte[] rows = new byte[ROWS * k];
            VectorOperators.Conversion<Byte, Integer> widen = bUnsigned ? VectorOperators.ZERO_EXTEND_B2I : VectorOperators.B2I;
            int lanes = IS.length();
            int bound = BS.length() == lanes ? n - n % lanes : 0;
            int i = 0;
            for (; i < m; i += ROWS) {
                int r = Math.min(ROWS, m - i);
                a.rows(i, r, rows);
                if (r < ROWS) {
                    java.util.Arrays.fill(rows, r * k, ROWS * k, (byte) 0);
                }
                int j = 0;
                for (; j < bound; j += lanes) {
                    IntVector c0 = IntVector.zero(IS);
                    IntVector c1 = c0;
                    IntVector c2 = c0;
                    IntVector c3 = c0;
                    for (int t = 0; t < k; t++) {
                        IntVector bv = (IntVector) ByteVector.fromArray(BS, b, t * n + j).convertShape(widen, IS, 0);
                        c0 = bv.mul(rows[t]).add(c0);
                        c1 = bv.mul(rows[k + t]).add(c1);
                        c2 = bv.mul(rows[2 * k + t]).add(c2);
                        c3 = bv.mul(rows[3 * k + t]).add(c3);
                    }
                    c0.intoArray(c, i * n + j);
                    if (r > 1) {
                        c1.intoArray(c, (i + 1) * n + j);
                    }
                    if (r > 2) {
                        c2.intoArray(c, (i + 2) * n + j);
                    }
                    if (r > 3) {
                        c3.intoArray(c, (i + 3) * n + j);
                    }
                }
                for (; j < n; j++) {
                    for (int q = 0; q < r; q++) {
                        int s = 0;
                        int ro = q * k;
                        for (int t = 0; t < k; t++) {
                            int bv = bUnsigned ? b[t * n + j] & 0xFF : b[t * n + j];
                            s += rows[ro + t] * bv;
                        }
                        c[(i + q) * n + j] = s;
                    }
                }
            }
        }
    }
}
