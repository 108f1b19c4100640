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

    /**
     * Finishes a whole SIMD tile: {@code acc[r·tile + j]} for output channels {@code co0 + r},
     * {@code r < rows}, and the tile's grid positions, whose valid outputs are {@code runs}. The
     * epilogues below requantize each tile row at full vector width into {@code runs}' staging
     * arrays and copy the runs out (junk positions are computed and dropped), which costs a
     * fraction of a call per run; this default is the plain walk.
     */
    void tile(int co0, int rows, int[] acc, int tile, TileRuns runs) {
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < runs.count; i++) {
                run(runs.img[i], co0 + r, runs.y[i], runs.x[i], runs.len[i], acc, r * tile + runs.from[i], true);
            }
        }
    }

    final int plane() {
        return oh * ow;
    }

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

            @Override
            void tile(int co0, int rows, int[] acc, int tile, TileRuns runs) {
                byte[] stage = runs.codes(tile);
                for (int r = 0; r < rows; r++) {
                    int co = co0 + r;
                    Requantize.codesRow(acc, r * tile, tile, q, co, stage, 0);
                    for (int i = 0; i < runs.count; i++) {
                        System.arraycopy(stage, runs.from[i], out, runs.at[i] + co * plane(), runs.len[i]);
                    }
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
                    addRelu(shortcut, out, o, len);
                }
            }

            @Override
            void tile(int co0, int rows, int[] acc, int tile, TileRuns runs) {
                int[] stage = runs.ints(tile);
                for (int r = 0; r < rows; r++) {
                    int co = co0 + r;
                    Requantize.intsRow(acc, r * tile, tile, q, co, stage, 0);
                    for (int i = 0; i < runs.count; i++) {
                        int o = runs.at[i] + co * plane();
                        System.arraycopy(stage, runs.from[i], out, o, runs.len[i]);
                        if (shortcut != null) {
                            addRelu(shortcut, out, o, runs.len[i]);
                        }
                    }
                }
            }
        };
    }

    /** {@code out[j] = max(0, out[j] + shortcut[j])} saturated to int32, for {@code o ≤ j < o + len}. */
    private static void addRelu(int[] shortcut, int[] out, int o, int len) {
        for (int j = o; j < o + len; j++) {
            out[j] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, (long) out[j] + shortcut[j]));
        }
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

            @Override
            void tile(int co0, int rows, int[] acc, int tile, TileRuns runs) {
                int[] shortcut = runs.shortcut(tile);
                int[] stage = runs.ints(tile);
                for (int r = 0; r < rows; r++) {
                    int co = co0 + r;
                    // the shortcut's values at the tile's valid positions (the others stay stale: computed, dropped)
                    int ch = co - before;
                    for (int i = 0; i < runs.count; i++) {
                        int f = runs.from[i];
                        int len = runs.len[i];
                        if (stride == 0) {
                            System.arraycopy(in, runs.at[i] + co * plane(), shortcut, f, len);
                        } else if (ch < 0 || ch >= x.c()) {
                            java.util.Arrays.fill(shortcut, f, f + len, 0);
                        } else {
                            int src = ((runs.img[i] * x.c() + ch) * x.h() + runs.y[i] * stride) * x.w() + runs.x[i] * stride;
                            for (int j = 0; j < len; j++) {
                                shortcut[f + j] = in[src + j * stride];
                            }
                        }
                    }
                    Requantize.residualRow(acc, r * tile, q, shortcut, 0, identity, co, tile, stage, 0);
                    for (int i = 0; i < runs.count; i++) {
                        System.arraycopy(stage, runs.from[i], out, runs.at[i] + co * plane(), runs.len[i]);
                    }
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
