package org.jqat.qat.infer;

/**
 * What a convolution does with a finished tile of int32 accumulators, fused into the kernel so
 * that the accumulators of a whole layer are never stored: {@link #finish} requantizes a run of
 * one output channel's accumulators in place (SIMD or scalar), {@link #store} writes a run of
 * finished values to the batch output {@code [n][channels][oh][ow]}.
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

    /** Requantizes {@code v[off .. off+n)} of output channel {@code co} in place. */
    abstract void finish(int co, int[] v, int off, int n, boolean simd);

    /** Writes finished values {@code v[from .. from+len)} to outputs {@code x0 ..} of row {@code y}, channel {@code co}, image {@code img}. */
    abstract void store(int img, int co, int y, int x0, int len, int[] v, int from);

    final int index(int img, int co, int y, int x) {
        return ((img * channels + co) * oh + y) * ow + x;
    }

    /** To activation codes of the next layer: {@code out} gets {@code (byte) q.apply(co, acc)}. */
    static Epilogue codes(Requant q, int channels, int oh, int ow, byte[] out) {
        return new Epilogue(channels, oh, ow) {
            void finish(int co, int[] v, int off, int n, boolean simd) {
                requantize(q, co, v, off, n, simd);
            }

            void store(int img, int co, int y, int x0, int len, int[] v, int from) {
                int o = index(img, co, y, x0);
                for (int j = 0; j < len; j++) {
                    out[o + j] = (byte) v[from + j];
                }
            }
        };
    }

    /**
     * To the int32 residual stream; with a {@code shortcut} (same layout, already in the output's
     * units) the basic block's end is fused in: {@code max(0, q.apply(co, acc) + shortcut)}, the
     * sum saturated to int32.
     */
    static Epilogue stream(Requant q, int channels, int oh, int ow, int[] shortcut, int[] out) {
        return new Epilogue(channels, oh, ow) {
            void finish(int co, int[] v, int off, int n, boolean simd) {
                requantize(q, co, v, off, n, simd);
            }

            void store(int img, int co, int y, int x0, int len, int[] v, int from) {
                int o = index(img, co, y, x0);
                if (shortcut == null) {
                    System.arraycopy(v, from, out, o, len);
                    return;
                }
                for (int j = 0; j < len; j++) {
                    long s = (long) v[from + j] + shortcut[o + j];
                    out[o + j] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, s));
                }
            }
        };
    }

    /** To float (a quantized last layer): {@code (acc − corr[co])·m[co] + bias[co]} in double, rounded to float. */
    static Epilogue floats(double[] m, double[] corr, double[] bias, int channels, int oh, int ow, float[] out) {
        return new Epilogue(channels, oh, ow) {
            void finish(int co, int[] v, int off, int n, boolean simd) {
            }

            void store(int img, int co, int y, int x0, int len, int[] v, int from) {
                int o = index(img, co, y, x0);
                for (int j = 0; j < len; j++) {
                    out[o + j] = (float) ((v[from + j] - corr[co]) * m[co] + bias[co]);
                }
            }
        };
    }

    private static void requantize(Requant q, int co, int[] v, int off, int n, boolean simd) {
        if (simd) {
            Requantize.rowInPlace(v, off, n, q, co);
        } else {
            Requantize.rowInPlaceScalar(v, off, n, q, co);
        }
    }
}
