package org.jqat.qat.infer;

/**
 * im2col on byte codes, the scalar twin's lowering: input {@code [c][h][w]} to columns
 * {@code [c·k·k][oh·ow]} (row {@code (ci·k + kh)·k + kw}, the weight's layout), padding with
 * {@code pad} (the code of 0: the activation zero point). The SIMD engine does not copy columns:
 * {@link IntConv} reads code planes at tap offsets.
 */
public final class Im2col {
    private Im2col() {
    }

    public static int outSize(int in, int k, int stride, int padding) {
        return (in + 2 * padding - k) / stride + 1;
    }

    public static void im2colScalar(byte[] in, int c, int h, int w, int k, int stride, int padding, byte pad, byte[] col) {
        int oh = outSize(h, k, stride, padding);
        int ow = outSize(w, k, stride, padding);
        int p = oh * ow;
        for (int ci = 0; ci < c; ci++) {
            for (int kh = 0; kh < k; kh++) {
                for (int kw = 0; kw < k; kw++) {
                    int row = ((ci * k + kh) * k + kw) * p;
                    for (int y = 0; y < oh; y++) {
                        int iy = y * stride - padding + kh;
                        for (int x = 0; x < ow; x++) {
                            int ix = x * stride - padding + kw;
                            col[row + y * ow + x] = iy >= 0 && iy < h && ix >= 0 && ix < w ? in[(ci * h + iy) * w + ix] : pad;
                        }
                    }
                }
            }
        }
    }
}
