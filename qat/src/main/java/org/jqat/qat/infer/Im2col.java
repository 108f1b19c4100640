package org.jqat.qat.infer;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * im2col on byte codes: input {@code [c][h][w]} to columns {@code [c·k·k][oh·ow]} (row
 * {@code (ci·k + kh)·k + kw}, the weight's layout), padding with {@code pad} (the code of 0: the
 * activation zero point). The SIMD version copies the in-bounds run of each output row with byte
 * vectors when the stride is 1; {@link #im2colScalar} is the twin.
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

    public static void im2col(byte[] in, int c, int h, int w, int k, int stride, int padding, byte pad, byte[] col) {
        Simd.im2col(in, c, h, w, k, stride, padding, pad, col);
    }

    /**
     * The Vector API code, in a class of its own: the scalar twins must run on a JVM started
     * without {@code --add-modules jdk.incubator.vector} (class path), and a class's bytecode is
     * verified as a whole when it links, loading the vector classes its methods use. This class
     * links only when a SIMD kernel first runs.
     */
    private static final class Simd {
        static final VectorSpecies<Byte> BS = ByteVector.SPECIES_PREFERRED;

        static void im2col(byte[] in, int c, int h, int w, int k, int stride, int padding, byte pad, byte[] col) {
            if (stride != 1) {
                im2colScalar(in, c, h, w, k, stride, padding, pad, col);
                return;
            }
            int oh = outSize(h, k, 1, padding);
            int ow = outSize(w, k, 1, padding);
            int p = oh * ow;
            for (int ci = 0; ci < c; ci++) {
                for (int kh = 0; kh < k; kh++) {
                    for (int kw = 0; kw < k; kw++) {
                        int row = ((ci * k + kh) * k + kw) * p;
                        // x in [x0, x1) reads inside the image: ix = x − padding + kw
                        int x0 = Math.max(0, padding - kw);
                        int x1 = Math.min(ow, w + padding - kw);
                        for (int y = 0; y < oh; y++) {
                            int iy = y - padding + kh;
                            int o = row + y * ow;
                            if (iy < 0 || iy >= h || x1 <= x0) {
                                java.util.Arrays.fill(col, o, o + ow, pad);
                                continue;
                            }
                            for (int x = 0; x < x0; x++) {
                                col[o + x] = pad;
                            }
                            int src = (ci * h + iy) * w + x0 - padding + kw;
                            int len = x1 - x0;
                            int j = 0;
                            for (; j + BS.length() <= len; j += BS.length()) {
                                ByteVector.fromArray(BS, in, src + j).intoArray(col, o + x0 + j);
                            }
                            for (; j < len; j++) {
                                col[o + x0 + j] = in[src + j];
                            }
                            for (int x = x1; x < ow; x++) {
                                col[o + x] = pad;
                            }
                        }
                    }
                }
            }
        }
    }
}
