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

    /**
     * To activation codes written straight into the shared code planes of the next stride-1 layer
     * ({@link IntConv#feedsPlanesOf}), as 16-bit codes: this layer's grid position o lands on the
     * next layer's plane position {@code o + shift} ({@code shift = padding·(ws + 1)}), so a tile row
     * is one contiguous run of the planes, its junk positions (this layer's shared border column
     * and rows) on the next layer's border, which {@link IntConv#fillBorders} rewrites afterwards.
     * Neither the byte activations nor the next layer's lowering exist on this path.
     *
     * @param block  shorts per channel of the planes ({@link IntConv#planeBlock})
     * @param hs     rows per image of this layer's grid (and of the planes)
     * @param ws     columns of a row
     */
    static Epilogue planes(Requant q, int channels, int oh, int ow, int block, int hs, int ws, int shift, boolean unsigned,
                           short[] planes) {
        int mask = unsigned ? 0xFF : -1;
        return new Epilogue(channels, oh, ow) {
            void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd) {
                int o = co * block + (img * hs + y) * ws + x0 + shift;
                for (int j = 0; j < len; j++) {
                    planes[o + j] = (short) ((byte) q.apply(co, acc[from + j]) & mask);
                }
            }

            @Override
            void tile(int co0, int rows, int[] acc, int tile, TileRuns runs) {
                for (int r = 0; r < rows; r++) {
                    int co = co0 + r;
                    Requantize.shortsRow(acc, r * tile, runs.valid, q, co, planes, co * block + runs.origin + shift);
                }
            }
        };
    }

    /**
     * The basic block's end, as {@link #residual}, on streams in the grid layout ({@link Act#grid}):
     * {@code shortcut} and {@code out} are {@code [channels][plane]} with this stride-1 conv's grid
     * ({@code h + 1} rows of {@code w + 1} per image), so each tile row is one contiguous run of
     * both, requantized and added in place with no staging and no copies; the junk positions carry
     * junk, which nothing reads as a value.
     */
    static Epilogue residualGrid(Requant q, int channels, int h, int w, int plane, int[] shortcut, Requant identity, int[] out) {
        int hs = h + 1;
        int ws = w + 1;
        return new Epilogue(channels, h, w) {
            void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd) {
                blockEnd(acc, from, q, shortcut, identity, co, len, out, co * plane + (img * hs + y) * ws + x0, simd);
            }

            @Override
            void tile(int co0, int rows, int[] acc, int tile, TileRuns runs) {
                for (int r = 0; r < rows; r++) {
                    int co = co0 + r;
                    int o = co * plane + runs.origin;
                    Requantize.residualRow(acc, r * tile, q, shortcut, o, identity, co, runs.valid, out, o);
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
     * identity.apply(co, x))} saturated to int32, with {@code shortcut} the block's input stream in
     * the output's layout {@code [n][channels][oh][ow]} (the input itself, or {@link #optionA} of
     * it). Neither branch is stored as a tensor of its own.
     */
    static Epilogue residual(Requant q, int channels, int oh, int ow, int[] shortcut, Requant identity, int[] out) {
        return new Epilogue(channels, oh, ow) {
            void run(int img, int co, int y, int x0, int len, int[] acc, int from, boolean simd) {
                blockEnd(acc, from, q, shortcut, identity, co, len, out, index(img, co, y, x0), simd);
            }

            @Override
            void tile(int co0, int rows, int[] acc, int tile, TileRuns runs) {
                int[] sc = runs.shortcut(tile);
                int[] stage = runs.ints(tile);
                for (int r = 0; r < rows; r++) {
                    int co = co0 + r;
                    // the shortcut's values at the tile's valid positions (the others stay stale: computed, dropped)
                    for (int i = 0; i < runs.count; i++) {
                        System.arraycopy(shortcut, runs.at[i] + co * plane(), sc, runs.from[i], runs.len[i]);
                    }
                    Requantize.residualRow(acc, r * tile, q, sc, 0, identity, co, tile, stage, 0);
                    for (int i = 0; i < runs.count; i++) {
                        System.arraycopy(stage, runs.from[i], out, runs.at[i] + co * plane(), runs.len[i]);
                    }
                }
            }
        };
    }

    /** One run of the block's end, shortcut and output both at {@code o}: the SIMD kernel or its scalar twin. */
    private static void blockEnd(int[] acc, int from, Requant q, int[] shortcut, Requant identity, int co, int len, int[] out, int o,
                                 boolean simd) {
        if (simd) {
            Requantize.residualRow(acc, from, q, shortcut, o, identity, co, len, out, o);
        } else {
            Requantize.residualRowScalar(acc, from, q, shortcut, o, identity, co, len, out, o);
        }
    }

    /**
     * The option-A shortcut of stream {@code x} ({@code [n][c][h][w]}) in the block output's layout
     * {@code [n][channels][oh][ow]}: input channel {@code ch} at output channel {@code ch + before},
     * subsampled by {@code stride} (output (y, x) reads input (y·stride, x·stride)), the other
     * channels zero (and zero through the identity rescale, which has no bias). Built once per call, in order: gathered run by run inside the epilogue, the
     * strided reads took 6% of a W4A4 ResNet-20 forward for two of its eighteen convolutions.
     */
    static int[] optionA(Act x, int stride, int channels, int before, int oh, int ow, int[] into) {
        int[] in = x.stream();
        int plane = oh * ow;
        for (int img = 0; img < x.n(); img++) {
            for (int co = 0; co < channels; co++) {
                int to = (img * channels + co) * plane;
                int ch = co - before;
                if (ch < 0 || ch >= x.c()) {
                    java.util.Arrays.fill(into, to, to + plane, 0);
                    continue;
                }
                for (int y = 0; y < oh; y++) {
                    int src = ((img * x.c() + ch) * x.h() + y * stride) * x.w();
                    for (int j = 0; j < ow; j++) {
                        into[to++] = in[src + j * stride];
                    }
                }
            }
        }
        return into;
    }

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
