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

    /** The largest |code| of the layer (the codes as held, not the grid: it bounds every product). */
    public int maxAbs() {
        int m = 0;
        byte[] row = new byte[cols];
        for (int r = 0; r < rows; r++) {
            rowsScalar(r, 1, row);
            for (byte v : row) {
                m = Math.max(m, Math.abs(v));
            }
        }
        return m;
    }

    /** The largest Σ_k |code[r][k]| over the rows: it bounds every partial sum of a row's products ({@link Accumulation}). */
    public long maxRowAbsSum() {
        long m = 0;
        byte[] row = new byte[cols];
        for (int r = 0; r < rows; r++) {
            rowsScalar(r, 1, row);
            long sum = 0;
            for (byte v : row) {
                sum += Math.abs(v);
            }
            m = Math.max(m, sum);
        }
        return m;
    }

    /** Bytes the codes take in memory. */
    public int bytes() {
        return data.length;
    }
}
