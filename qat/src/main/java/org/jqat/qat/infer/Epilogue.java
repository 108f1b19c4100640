package org.jqat.qat.infer;

/**
 * What a convolution does with its int32 accumulators, fused into the tile loop so that the
 * accumulators of a whole layer are never stored: {@link #run} requantizes one run of valid
 * outputs of one output channel (a row segment of a tile) and writes it to the batch output
 * {@code [n][channels][oh][ow]}.
 */
abstract class Epilogue {
    final int channels;
    final int oh;
    final int ow;

    private Epilogue(int channels, int oh, int ow) {
        this.channels = channels;
        this.oh = oh;
        this.ow = ow;
    }

    /** Finishes accumulators {@code acc[from .. from+len)}: outputs {@code x0 ..} of row {@code y}, channel {@code co}, image {@code img}. */
    abstract void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd);

    final int index(int img, int co, int y, int x) {
        return ((img * channels + co) * oh + y) * ow + x;
    }

    /** To activation codes of the next layer: {@code (byte) q.apply(co, acc)}. */
    static Epilogue codes(Requant q, int channels, int oh, int ow, byte[] out) {
        return new Epilogue(channels, oh, ow) {
            void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd) {
                if (simd) {
                    Requantize.codesRow(acc, from, len, q, co, out, index(img, co, y, x0));
                } else {
                    Requantize.codesRowScalar(acc, from, len, q, co, out, index(img, co, y, x0));
                }
            }
        };
    }

    /** To the int32 residual stream, plus {@code shortcut} (same layout, in the output's units; null for none) with the block's ReLU. */
    static Epilogue stream(Requant q, int channels, int oh, int ow, int[] shortcut, int[] out) {
        return new Epilogue(channels, oh, ow) {
            void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd) {
                int o = index(img, co, y, x0);
                if (simd) {
                    Requantize.intsRow(acc, from, len, q, co, out, o);
                } else {
                    Requantize.intsRowScalar(acc, from, len, q, co, out, o);
                }
                if (shortcut != null) {
                    for (int j = o; j < o + len; j++) {
                        out[j] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, (long) out[j] + shortcut[j]));
                    }
                }
            }
        };
    }

    /**
     * The basic block's end on a parameter-free shortcut, fused: {@code max(0, q.apply(co, acc) +
     * identity.apply(co, x))} saturated to int32, with {@code x} the block's input stream at the same
     * place ({@code stride} 0) or, for option A, subsampled by {@code stride} with {@code before}
     * zero channels in front (zero stays zero: {@code identity} has no bias). Neither branch is
     * stored as a tensor of its own.
     */
    static Epilogue residual(Requant q, int channels, int oh, int ow, Act x, Requant identity, int stride, int before, int[] out) {
        int[] in = x.stream();
        return new Epilogue(channels, oh, ow) {
            void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd) {
                int o = index(img, co, y, x0);
                if (stride == 0) {
                    if (simd) {
                        Requantize.residualRow(acc, from, q, in, o, identity, co, len, out, o);
                    } else {
                        Requantize.residualRowScalar(acc, from, q, in, o, identity, co, len, out, o);
                    }
                    return;
                }
                // option A: the subsampled input run (zero for the padded channels), then the same fused end
                int ch = co - before;
                int[] sub = RUN.get();
                if (sub.length < len) {
                    sub = new int[len];
                    RUN.set(sub);
                }
                if (ch < 0 || ch >= x.c()) {
                    java.util.Arrays.fill(sub, 0, len, 0);
                } else {
                    int src = ((img * x.c() + ch) * x.h() + y * stride) * x.w() + x0 * stride;
                    for (int j = 0; j < len; j++) {
                        sub[j] = in[src + j * stride];
                    }
                }
                if (simd) {
                    Requantize.residualRow(acc, from, q, sub, 0, identity, co, len, out, o);
                } else {
                    Requantize.residualRowScalar(acc, from, q, sub, 0, identity, co, len, out, o);
                }
            }
        };
    }

    /** Per-thread buffer for one subsampled shortcut run. */
    private static final ThreadLocal<int[]> RUN = ThreadLocal.withInitial(() -> new int[64]);

    /** To float (a quantized last layer): {@code (acc − corr[co])·m[co] + bias[co]} in double, rounded to float. */
    static Epilogue floats(double[] m, double[] corr, double[] bias, int channels, int oh, int ow, float[] out) {
        return new Epilogue(channels, oh, ow) {
            void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd) {
                int o = index(img, co, y, x0);
                for (int j = 0; j < len; j++) {
                    out[o + j] = (float) ((acc[from + j] - corr[co]) * m[co] + bias[co]);
                }
            }
        };
    }
}
