package org.jqat.qat.infer;

/**
 * The reference int8 × int8 → int32 GEMM of the scalar twin: {@code c[m][n] = Σ_k a[m][k]·b[k][n]},
 * a = weight codes (signed, unpacked row by row by {@link WeightCodes}), b = im2col columns of
 * activation codes (signed, or unsigned 0..255 when {@code bUnsigned}). The SIMD engine does not
 * use it: {@link ConvKernel} reads code planes directly.
 */
public final class IntGemm {
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
}
