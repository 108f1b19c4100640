package org.jqat.qat.infer;

/**
 * A layer's integer weight codes as a {@code [rows][cols]} matrix (rows = output channels, cols =
 * in·k·k), kept as stored: packed 1/2/4-bit bytes (LSB first, value code − codeMin) or one signed
 * byte per code. {@link #rows} hands out unpacked signed-byte rows on the fly.
 */
public record WeightCodes(int rows, int cols, int bits, int codeMin, boolean packed, byte[] data) {

    public WeightCodes {
        long n = (long) rows * cols;
        long need = packed ? (n * bits + 7) / 8 : n;
        if (data.length < need) {
            throw new IllegalArgumentException("weight codes: " + data.length + " bytes cannot hold " + n + " codes of " + bits + " bits");
        }
    }

    /** Unpacked codes of rows {@code r0 .. r0+count−1} into {@code dst} (SIMD unpack). */
    public void rows(int r0, int count, byte[] dst) {
        if (packed) {
            Unpack.unpack(data, bits, codeMin, r0 * cols, count * cols, dst, 0);
        } else {
            System.arraycopy(data, r0 * cols, dst, 0, count * cols);
        }
    }

    /** Scalar twin of {@link #rows}. */
    public void rowsScalar(int r0, int count, byte[] dst) {
        if (packed) {
            Unpack.unpackScalar(data, bits, codeMin, r0 * cols, count * cols, dst, 0);
        } else {
            System.arraycopy(data, r0 * cols, dst, 0, count * cols);
        }
    }

    /** Σ_k code[r][k] for every row (the zero-point correction). */
    public long[] rowSums() {
        long[] s = new long[rows];
        byte[] row = new byte[cols];
        for (int r = 0; r < rows; r++) {
            rowsScalar(r, 1, row);
            for (byte v : row) {
                s[r] += v;
            }
        }
        return s;
    }

    /** Bytes the codes take in memory. */
    public int bytes() {
        return data.length;
    }
}
