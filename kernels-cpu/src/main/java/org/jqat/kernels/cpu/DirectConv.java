package org.jqat.kernels.cpu;

import java.util.Arrays;
import org.jqat.core.backend.Conv2dShape;

/**
 * Direct (implicit-GEMM) convolution for the small-channel layers of CIFAR and ImageNet ResNets:
 * no im2col column matrix is ever built.
 *
 * <p>Each image is copied once into zero-padded planes laid out so that every kernel tap reads a
 * contiguous window: output position {@code q = oy·Wq + ox} of tap k reads
 * {@code planes[q + offset[k]]}. With stride s the padded input is split into s×s phase planes
 * (every s-th row and column), which keeps the windows contiguous. The forward pass is then a
 * register-blocked product of packed weights by these windows, accumulating over all taps in
 * registers and storing each output tile once. When output rows are whole vectors (OW a multiple
 * of the lane count: the 32- and 16-wide maps) each tile takes two row vectors and stores them
 * straight into the output ({@link OffsetKernels#forwardStoreTile}). Narrower maps (8-wide under
 * 16 lanes) with output channels in multiples of 64 run tiles vectorized over output channels
 * instead ({@link OffsetKernels#channelTile}: six positions × 64 channels, the weights tap-major),
 * transposed into the output; the rest run tiles along the padded width, compute and drop the
 * positions with {@code ox ≥ OW}, and copy the result out ({@link OffsetKernels#forwardTile}).
 * Measured on whole ResNet-20 inference at batch 128, interleaved in one JVM (2026-11-30): storing
 * rows straight was 10–12% faster (49 against 55 ms), channel tiles on the 8-wide stage another
 * 9–12% (54 against 60–62 ms, a slower hour of the host). Channel tiles for the data gradient of
 * the 8-wide stage made the training step 2–4% slower (240 against 231 ms, 201 against 196), so it
 * keeps the padded-width tiles.
 *
 * <p>The data gradient is the transposed convolution. It is split by output phase (the residue
 * of the input coordinate modulo the stride): within one phase only a fixed subset of taps
 * contributes, and it is a stride-1 correlation of the zero-padded output gradient, run by the
 * same kernel. The weight gradient sums over every output position of the batch; it keeps
 * lane-wise partial sums in registers across whole chunks of images
 * ({@link OffsetKernels#weightTile}) and adds lanes, then {@link BatchSlices}, in a fixed order at
 * the end, so the result is deterministic.
 */
final class DirectConv {
    private static final int L = VectorConfig.LANES;
    private static final int MR = OffsetKernels.MR, NR = OffsetKernels.NR;
    private static final int WM = OffsetKernels.WM, WN = OffsetKernels.WN;
    /** Scratch slots (see {@link Scratch}). */
    private static final int PLANES = 1, OUT = 2, GRAD = 3, ACC = 4, WEIGHTS = 11;
    /** The weight gradient batches images until a chunk holds this many output positions. */
    private static final int WEIGHT_CHUNK_POSITIONS = 1024;
    /**
     * Output positions per {@link BatchSlices} slice at least for the weight gradient: a slice
     * zeroes and adds up lane-wise accumulators, about L + 1 operations per accumulator against
     * 1/L of a vector product per accumulator and position, so slices of 20·L·(L + 1) positions
     * keep that near 5%. Slices of 1,024 positions (8 per batch of 128 on the 8×8 stage, whose
     * 64 → 64 accumulators take 2.4 MB) made the FP32 step 13% slower (245 against 216 ms,
     * alternating jars, 2026-11-30, when that stage still ran these tiles).
     */
    private static final int WEIGHT_SLICE_POSITIONS = 20 * L * (L + 1);

    /** A planes buffer holding the zero padding of one forward call's geometry. */
    private record Padded(Object call, float[] buffer) {
    }

    /** The planes buffer this thread padded last, and for which call (see {@link #keepsBorders}). */
    private static final ThreadLocal<Padded> PADDED = new ThreadLocal<>();

    /**
     * Whether this thread's {@code planes} already hold the zero padding of this {@code call}
     * (a convolution call lays every image out in the same geometry, so a buffer padded once
     * needs only each image's values); if not, zeroes {@code planes[from, to)} and remembers the
     * buffer for the call. Shared by every kernel that keeps padded planes from image to image:
     * a thread that switches buffers or calls simply pads again.
     */
    static boolean keepsBorders(Object call, float[] planes, int from, int to) {
        Padded mine = PADDED.get();
        if (mine != null && mine.call() == call && mine.buffer() == planes) {
            return true;
        }
        Arrays.fill(planes, from, to, 0f);
        PADDED.set(new Padded(call, planes));
        return false;
    }

    private DirectConv() {
    }

    static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    /**
     * A per-tensor fake-quantize applied to the input while it is copied into the planes (see
     * {@link FakeQuantKernels#quantizeRow}); padding stays 0, as when the quantized tensor is padded.
     */
    record InputQuant(float step, float beta, float qmin, float qmax) {
    }

    // ---- forward geometry (also the weight gradient's) -------------------------------------

    /** Padded, phase-split input planes of one image-group and the tap offsets into them. */
    record Planes(Conv2dShape s, int hq, int wq, int phases, int planeSize, int imageSize, int[] offsets,
                  int maxOffset) {

        static Planes of(Conv2dShape s) {
            int sh = s.strideH(), sw = s.strideW();
            int hq = (s.h() + 2 * s.padH() + sh - 1) / sh, wq = (s.w() + 2 * s.padW() + sw - 1) / sw;
            int phases = sh * sw, planeSize = hq * wq, cig = s.cInPerGroup();
            int[] offsets = new int[cig * s.kh() * s.kw()];
            int k = 0, max = 0;
            for (int ci = 0; ci < cig; ci++) {
                for (int ky = 0; ky < s.kh(); ky++) {
                    int ry = ky * s.dilationH();
                    for (int kx = 0; kx < s.kw(); kx++, k++) {
                        int rx = kx * s.dilationW();
                        int plane = ci * phases + (ry % sh) * sw + rx % sw;
                        offsets[k] = plane * planeSize + (ry / sh) * wq + rx / sw;
                        max = Math.max(max, offsets[k]);
                    }
                }
            }
            return new Planes(s, hq, wq, phases, planeSize, cig * phases * planeSize, offsets, max);
        }

        /** Output positions on the padded width: OH rows of Wq. */
        int positions() {
            return s.outH() * wq;
        }

        /**
         * Copies image-group {@code xOff} of x into {@code dst[dstOff..]}: plane (ci, py, px) row r,
         * column j holds padded input (py + r·sh, px + j·sw), zero outside the image.
         */
        void build(float[] x, int xOff, float[] dst, int dstOff) {
            build(x, xOff, dst, dstOff, null, false);
        }

        /**
         * As {@link #build(float[], int, float[], int)}, fake-quantizing each copied value when q is
         * not null. With {@code bordersZero} the zero padding is left as it is: the buffer already
         * holds planes of this geometry (the padding's place depends only on the geometry), so only
         * the image's own values are copied.
         */
        void build(float[] x, int xOff, float[] dst, int dstOff, InputQuant q, boolean bordersZero) {
            int h = s.h(), w = s.w(), sh = s.strideH(), sw = s.strideW(), ph = s.padH(), pw = s.padW();
            if (sw == 2 && splitsRows()) {
                buildColumnPairs(x, xOff, dst, dstOff, q, bordersZero);
                return;
            }
            if (sh == 1 && sw == 1 && bordersZero && ph < hq && pw + w <= wq) {
                // the common case (a stride-1 layer's planes, padding already there): only the rows
                // of values, with none of the general loop's per-row bounds (a tenth of an inference
                // pass was this loop)
                for (int ci = 0; ci < s.cInPerGroup(); ci++) {
                    int src = xOff + ci * h * w;
                    int d = dstOff + ci * planeSize + ph * wq + pw;
                    for (int r = 0; r < h; r++, src += w, d += wq) {
                        if (q == null) {
                            ElementwiseKernels.copyRow(x, src, dst, d, w);
                        } else {
                            FakeQuantKernels.quantizeRow(x, src, dst, d, w, q.step(), q.beta(), q.qmin(), q.qmax());
                        }
                    }
                }
                return;
            }
            int d = dstOff;
            for (int ci = 0; ci < s.cInPerGroup(); ci++) {
                int src = xOff + ci * h * w;
                for (int py = 0; py < sh; py++) {
                    for (int px = 0; px < sw; px++) {
                        // columns j with 0 <= px + j*sw - pw < w (the same for every row)
                        int lo = Math.max(0, ceilDiv(pw - px, sw));
                        int hi = Math.min(wq, ceilDiv(w + pw - px, sw));
                        for (int r = 0; r < hq; r++, d += wq) {
                            int iy = py + r * sh - ph;
                            if (iy < 0 || iy >= h) {
                                if (!bordersZero) {
                                    Arrays.fill(dst, d, d + wq, 0f);
                                }
                                continue;
                            }
                            int row = src + iy * w;
                            if (hi <= lo) {
                                if (!bordersZero) {
                                    Arrays.fill(dst, d, d + wq, 0f);
                                }
                                continue;
                            }
                            if (!bordersZero) {
                                Arrays.fill(dst, d, d + lo, 0f);
                                Arrays.fill(dst, d + hi, d + wq, 0f);
                            }
                            if (sw == 1 && q == null) {
                                ElementwiseKernels.copyRow(x, row + lo + px - pw, dst, d + lo, hi - lo);
                            } else if (sw == 1) {
                                FakeQuantKernels.quantizeRow(x, row + lo + px - pw, dst, d + lo, hi - lo,
                                        q.step(), q.beta(), q.qmin(), q.qmax());
                            } else if (q == null) {
                                ElementwiseKernels.gatherStrided(x, row + px + lo * sw - pw, sw, dst, d + lo, hi - lo);
                            } else {
                                for (int j = lo, ix = px + lo * sw - pw; j < hi; j++, ix += sw) {
                                    float v = x[row + ix];
                                    dst[d + j] = q == null ? v : FakeQuantKernels.quantize(v, q.step(), q.beta(), q.qmin(), q.qmax());
                                }
                            }
                        }
                    }
                }
            }
        }

        /** First valid column of column phase px: j with 0 <= px + j·sw − pw. */
        private int firstColumn(int px) {
            return Math.max(0, ceilDiv(s.padW() - px, s.strideW()));
        }

        /** One past the last valid column of column phase px: j with px + j·sw − pw < w. */
        private int endColumn(int px) {
            return Math.min(wq, ceilDiv(s.w() + s.padW() - px, s.strideW()));
        }

        /**
         * Whether, at stride 2 across, the two column phases take exactly the even and the odd
         * columns of each input row, w/2 of each (w even: every ResNet's stride-2 layer): then
         * {@link #buildColumnPairs} reads each row once for both.
         */
        private boolean splitsRows() {
            int w = s.w(), pw = s.padW();
            if (w % 2 != 0 || w == 0) {
                return false;
            }
            for (int px = 0; px < 2; px++) {
                int lo = firstColumn(px);
                if (endColumn(px) - lo != w / 2 || (px + 2 * lo - pw) != (px + pw) % 2) {
                    return false;
                }
            }
            return true;
        }

        /**
         * {@link #build} for stride 2 across where {@link #splitsRows}: each input row is split into
         * its even and odd columns ({@link ElementwiseKernels#deinterleave}), the rows of the two
         * column phases, then fake-quantized in place when q is not null.
         */
        private void buildColumnPairs(float[] x, int xOff, float[] dst, int dstOff, InputQuant q, boolean bordersZero) {
            int h = s.h(), w = s.w(), sh = s.strideH(), ph = s.padH(), pw = s.padW(), half = w / 2;
            // ix0 = px + 2·lo − pw is 0 for one column phase (it takes the even columns) and 1 for the other
            int evenPx = pw % 2, oddPx = 1 - evenPx;
            int evenLo = firstColumn(evenPx), oddLo = firstColumn(oddPx);
            for (int ci = 0; ci < s.cInPerGroup(); ci++) {
                int src = xOff + ci * h * w;
                for (int py = 0; py < sh; py++) {
                    int evenPlane = dstOff + (ci * phases + py * 2 + evenPx) * planeSize;
                    int oddPlane = dstOff + (ci * phases + py * 2 + oddPx) * planeSize;
                    for (int r = 0; r < hq; r++) {
                        int de = evenPlane + r * wq, dd = oddPlane + r * wq, iy = py + r * sh - ph;
                        if (iy < 0 || iy >= h) {
                            if (!bordersZero) {
                                Arrays.fill(dst, de, de + wq, 0f);
                                Arrays.fill(dst, dd, dd + wq, 0f);
                            }
                            continue;
                        }
                        if (!bordersZero) {
                            Arrays.fill(dst, de, de + evenLo, 0f);
                            Arrays.fill(dst, de + evenLo + half, de + wq, 0f);
                            Arrays.fill(dst, dd, dd + oddLo, 0f);
                            Arrays.fill(dst, dd + oddLo + half, dd + wq, 0f);
                        }
                        ElementwiseKernels.deinterleave(x, src + iy * w, half, dst, de + evenLo, dst, dd + oddLo);
                        if (q != null) {
                            FakeQuantKernels.quantizeRow(dst, de + evenLo, dst, de + evenLo, half, q.step(), q.beta(),
                                    q.qmin(), q.qmax());
                            FakeQuantKernels.quantizeRow(dst, dd + oddLo, dst, dd + oddLo, half, q.step(), q.beta(),
                                    q.qmin(), q.qmax());
                        }
                    }
                }
            }
        }
    }

    static int ceilDiv(int a, int b) {
        return Math.floorDiv(a + b - 1, b);
    }

    /**
     * Weights of each group as MR-channel slivers, tap-major: [g][block][tap][MR], zero-padded, in
     * the calling thread's {@link #WEIGHTS} scratch (read by every worker for the length of the call).
     */
    private static float[] packForward(Conv2dShape s, float[] w, int taps) {
        int cog = s.cOutPerGroup(), blocks = (cog + MR - 1) / MR, size = s.groups() * blocks * taps * MR;
        float[] packed = Scratch.get(WEIGHTS, size);
        if (cog % MR != 0) {
            Arrays.fill(packed, 0, size, 0f);
        }
        for (int g = 0; g < s.groups(); g++) {
            for (int co = 0; co < cog; co++) {
                int src = (g * cog + co) * taps;
                int dst = (g * blocks + co / MR) * taps * MR + co % MR;
                for (int k = 0; k < taps; k++) {
                    packed[dst + k * MR] = w[src + k];
                }
            }
        }
        return packed;
    }

    static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y) {
        forward(s, x, w, bias, y, null, null, false);
    }

    /** The convolution of the input fake-quantized by q (null: the input as it is). */
    static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y, InputQuant q) {
        forward(s, x, w, bias, y, q, null, false);
    }

    /**
     * The convolution of the input fake-quantized by q (null: the input as it is), with the
     * epilogue applied as each output row is stored: {@code y = relu?(conv + bias + residual)};
     * residual (y's layout) may be null.
     */
    static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y, InputQuant q, float[] residual,
                        boolean relu) {
        forward(s, x, w, false, bias, y, q, residual, relu);
    }

    /**
     * As {@link #forward(Conv2dShape, float[], float[], float[], float[], InputQuant, float[], boolean)};
     * with {@code constantWeights} (the weights' storage is {@link org.jqat.core.backend.Storage#markConstant
     * constant}) the packed weights are kept with the array ({@link PackedWeights}) instead of packed
     * on every call: an inference model's chunks of 8 images repacked each layer's weights 16 times a
     * batch of 128.
     */
    static void forward(Conv2dShape s, float[] x, float[] w, boolean constantWeights, float[] bias, float[] y, InputQuant q,
                        float[] residual, boolean relu) {
        Planes p = Planes.of(s);
        int taps = p.offsets().length, cog = s.cOutPerGroup(), cig = s.cInPerGroup();
        int blocks = (cog + MR - 1) / MR;
        int qn = roundUp(p.positions(), NR);
        int bufSize = Math.max(p.imageSize(), qn + p.maxOffset());
        int hw = s.h() * s.w(), oh = s.outH(), ow = s.outW(), ohw = oh * ow, wq = p.wq();
        boolean channelTiles = ow % L != 0 && s.groups() == 1 && cog % OffsetKernels.CC == 0;
        float[] packed = !constantWeights ? (channelTiles ? tapMajor(w, cog, taps) : packForward(s, w, taps))
                : PackedWeights.get(w, channelTiles, () -> {
                    float[] scratch = channelTiles ? tapMajor(w, cog, taps) : packForward(s, w, taps);
                    return Arrays.copyOf(scratch, channelTiles ? taps * cog : s.groups() * blocks * taps * MR);
                });
        // A thread's planes buffer keeps this call's zero padding from one image to the next: the
        // first image a thread builds in this call writes the padding, later ones only their values.
        Object call = new Object();
        WorkerPool.SHARED.run(s.n(), n -> {
            float[] planes = Scratch.get(PLANES, bufSize);
            float[] out = Scratch.get(OUT, Math.max(blocks * MR * qn, roundUp(ohw, OffsetKernels.CP) * OffsetKernels.CC));
            boolean bordersZero = keepsBorders(call, planes, p.imageSize(), bufSize);
            for (int g = 0; g < s.groups(); g++) {
                p.build(x, (n * s.cIn() + g * cig) * hw, planes, 0, q, bordersZero);
                if (channelTiles) {
                    channelTiles(taps, p.offsets(), packed, planes, wq, oh, ow, cog, out, y, n * s.cOut() * ohw);
                    epilogue(y, n * s.cOut() * ohw, cog, 0, ohw, bias, residual, relu);
                    continue;
                }
                if (ow % L == 0) {
                    storeTiles(p, packed, g, blocks, planes, y, (n * s.cOut() + g * cog) * ohw, cog, g * cog, bias, residual,
                            relu);
                    continue;
                }
                for (int b = 0; b < blocks; b++) {
                    int aOff = (g * blocks + b) * taps * MR;
                    for (int q0 = 0; q0 < qn; q0 += NR) {
                        OffsetKernels.forwardTile(taps, packed, aOff, p.offsets(), planes, q0, out, b * MR * qn + q0, qn);
                    }
                }
                for (int co = 0; co < cog; co++) {
                    int c = g * cog + co;
                    int dst = (n * s.cOut() + c) * ohw, src = co * qn;
                    if (bias == null && residual == null && !relu) {
                        for (int a = 0; a < oh; a++) {
                            ElementwiseKernels.copyRow(out, src + a * wq, y, dst + a * ow, ow);
                        }
                    } else {
                        float bv = bias == null ? 0f : bias[c];
                        for (int a = 0; a < oh; a++) {
                            ElementwiseKernels.biasResidualRelu(out, src + a * wq, bv, residual, dst + a * ow, relu, y,
                                    dst + a * ow, ow);
                        }
                    }
                }
            }
        });
    }

    /**
     * {@code w[co][k]} as the channel tiles read it, block by block of {@link OffsetKernels#CC}
     * channels, each block tap-major ({@code [block][k][CC]}: its CC × taps rows transposed), in the
     * {@link #WEIGHTS} scratch as {@link #packForward}. Rows exactly CC apart let C2 hoist the
     * weight loads' bounds checks out of the tap loop: with rows {@code cout} apart (a run-time
     * stride) the 64 → 64 tile ran 165–190 against 200–210 GFLOPS on one Zen 5 core.
     */
    private static float[] tapMajor(float[] w, int cout, int taps) {
        int cc = OffsetKernels.CC;
        float[] t = Scratch.get(WEIGHTS, taps * cout);
        for (int b = 0; b < cout; b += cc) {
            Transpose.transpose(w, b * taps, cc, taps, t, b * taps);
        }
        return t;
    }

    /**
     * An {@code rows × cols} output (all its {@code channels}, a multiple of
     * {@link OffsetKernels#CC}) computed by tiles vectorized over output channels, for maps too
     * narrow for position vectors: each tile takes CP valid positions (planes row stride
     * {@code ldp}; no padded columns, no rounding of a row to vectors) and writes them
     * position-major to {@code out} (room for the positions rounded up to whole tiles × CC); each
     * block of CC channels is then transposed into {@code y[yOff + c·rows·cols + q]}.
     */
    private static void channelTiles(int taps, int[] offsets, float[] wt, float[] planes, int ldp, int rows, int cols,
                                     int channels, float[] out, float[] y, int yOff) {
        int size = rows * cols, cp = OffsetKernels.CP, cc = OffsetKernels.CC;
        int[] base = new int[cp];
        for (int co0 = 0; co0 < channels; co0 += cc) {
            for (int q0 = 0; q0 < size; q0 += cp) {
                for (int i = 0; i < cp; i++) {
                    int q = Math.min(q0 + i, size - 1); // the last tile repeats its last position
                    base[i] = (q / cols) * ldp + q % cols;
                }
                OffsetKernels.channelTile(taps, wt, co0 * taps, offsets, planes, base[0], base[1], base[2], base[3],
                        base[4], base[5], out, q0 * cc);
            }
            // the block's positions × channels at once: 16 × 16 register transposes where a value-by-value
            // copy per tile cost the 8 × 8 stage a tenth of its time
            Transpose.transpose(out, 0, size, cc, y, yOff + co0 * size);
        }
    }

    /** The forward epilogue over each channel's plane of one image: {@code y = relu?(y + bias + residual)}. */
    private static void epilogue(float[] y, int yOff, int channels, int c0, int size, float[] bias, float[] residual,
                                 boolean relu) {
        if (bias != null || residual != null || relu) {
            for (int co = 0; co < channels; co++) {
                int d = yOff + co * size;
                ElementwiseKernels.biasResidualRelu(y, d, bias == null ? 0f : bias[c0 + co], residual, d, relu, y, d, size);
            }
        }
    }

    /**
     * The output of one image-group when its rows are whole vectors ({@code OW % L == 0}): tiles of
     * two output vectors taken in row order (two halves of a row, or two rows, or the last vector
     * twice when their count is odd) are stored straight into y, so neither the padded columns are
     * computed nor the accumulators copied out; the epilogue then runs over each channel's plane
     * while it is still in cache.
     */
    private static void storeTiles(Planes p, float[] packed, int g, int blocks, float[] planes, float[] y, int yOff,
                                   int cog, int c0, float[] bias, float[] residual, boolean relu) {
        int taps = p.offsets().length, ow = p.s().outW(), ohw = p.s().outH() * ow, wq = p.wq();
        for (int b = 0; b < blocks; b++) {
            int aOff = (g * blocks + b) * taps * MR;
            storeRowTiles(taps, packed, aOff, p.offsets(), planes, wq, p.s().outH(), ow, y, yOff + b * MR * ohw, ohw,
                    Math.min(MR, cog - b * MR));
        }
        // The epilogue as a pass over the planes just stored (in cache): applied inside the tile as
        // each vector is stored it made these layers 7–10% slower (16→16 at 32×32: 0.83 against
        // 0.74 ms; 32→32 at 16×16: 0.51 against 0.46, batch 16, interleaved, 2026-11-30).
        epilogue(y, yOff, cog, c0, ohw, bias, residual, relu);
    }

    /**
     * One block of MR channels of an {@code rows × cols} output whose rows are whole vectors
     * (cols a multiple of L), read from planes of row stride {@code ldp}: tiles of two vectors in
     * row order (two parts of a row, or of two rows; the last vector twice when their count is
     * odd), each stored straight into {@code y[yOff + r·ldy + row·cols + col]} for r < channels.
     */
    private static void storeRowTiles(int taps, float[] packed, int aOff, int[] offsets, float[] planes, int ldp, int rows,
                                      int cols, float[] y, int yOff, int ldy, int channels) {
        int perRow = cols / L, vectors = rows * perRow;
        for (int t = 0; t < vectors; t += 2) {
            int u = Math.min(t + 1, vectors - 1);
            int a0 = t / perRow, j0 = (t % perRow) * L, a1 = u / perRow, j1 = (u % perRow) * L;
            OffsetKernels.forwardStoreTile(taps, packed, aOff, offsets, planes, a0 * ldp + j0, a1 * ldp + j1,
                    y, yOff + a0 * cols + j0, yOff + a1 * cols + j1, ldy, channels);
        }
    }

    // ---- data gradient --------------------------------------------------------------------

    /**
     * One axis of the transposed convolution: for each input-coordinate phase a (i ≡ a mod
     * stride), the kernel indices that reach it, and for each the shift t such that output
     * coordinate o = i/stride − t; plus the zero padding the output gradient needs so every
     * shifted read stays inside it.
     */
    record AxisPhases(int[][] taps, int[][] shift, int[] count, int padLo, int padHi) {

        static AxisPhases of(int in, int out, int k, int stride, int pad, int dil) {
            int[][] taps = new int[stride][], shift = new int[stride][];
            int[] count = new int[stride];
            int lo = 0, hi = 0;
            for (int a = 0; a < stride; a++) {
                count[a] = a < in ? (in - a + stride - 1) / stride : 0;
                int[] t = new int[k], sh = new int[k];
                int m = 0;
                for (int kk = 0; kk < k; kk++) {
                    if (Math.floorMod(a + pad - kk * dil, stride) == 0) {
                        t[m] = kk;
                        sh[m] = (kk * dil - a - pad) / stride;
                        if (count[a] > 0) {
                            lo = Math.max(lo, sh[m]);
                            hi = Math.max(hi, count[a] - 1 - sh[m] - (out - 1));
                        }
                        m++;
                    }
                }
                taps[a] = Arrays.copyOf(t, m);
                shift[a] = Arrays.copyOf(sh, m);
            }
            return new AxisPhases(taps, shift, count, lo, hi);
        }
    }

    /** One output phase of the data gradient: its taps' offsets and packed weights per group. */
    private record Phase(int ay, int ax, int rows, int cols, int[] offsets, int maxOffset, float[] packed) {
    }

    static void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx) {
        int cig = s.cInPerGroup(), cog = s.cOutPerGroup(), kh = s.kh(), kw = s.kw(), kk = kh * kw;
        int oh = s.outH(), ow = s.outW(), h = s.h(), wd = s.w();
        AxisPhases ya = AxisPhases.of(h, oh, kh, s.strideH(), s.padH(), s.dilationH());
        AxisPhases xa = AxisPhases.of(wd, ow, kw, s.strideW(), s.padW(), s.dilationW());
        int hg = ya.padLo() + oh + ya.padHi(), wg = xa.padLo() + ow + xa.padHi(), planeSize = hg * wg;
        int imageSize = cog * planeSize, blocks = (cig + MR - 1) / MR;
        Phase[] phases = new Phase[s.strideH() * s.strideW()];
        int bufSize = imageSize, outSize = 0;
        for (int ay = 0; ay < s.strideH(); ay++) {
            for (int ax = 0; ax < s.strideW(); ax++) {
                int[] ty = ya.taps()[ay], tx = xa.taps()[ax];
                int taps = cog * ty.length * tx.length;
                int[] offsets = new int[taps];
                float[] packed = new float[s.groups() * blocks * taps * MR];
                int k = 0, max = 0;
                for (int co = 0; co < cog; co++) {
                    for (int i = 0; i < ty.length; i++) {
                        for (int j = 0; j < tx.length; j++, k++) {
                            offsets[k] = co * planeSize + (ya.padLo() - ya.shift()[ay][i]) * wg
                                    + xa.padLo() - xa.shift()[ax][j];
                            max = Math.max(max, offsets[k]);
                            for (int g = 0; g < s.groups(); g++) {
                                int src = (g * cog + co) * cig * kk + ty[i] * kw + tx[j];
                                int dst = g * blocks * taps * MR + k * MR;
                                for (int ci = 0; ci < cig; ci++) {
                                    packed[dst + (ci / MR) * taps * MR + ci % MR] = w[src + ci * kk];
                                }
                            }
                        }
                    }
                }
                Phase ph = new Phase(ay, ax, ya.count()[ay], xa.count()[ax], offsets, max, packed);
                phases[ay * s.strideW() + ax] = ph;
                int qn = roundUp(ph.rows() * wg, NR);
                bufSize = Math.max(bufSize, qn + max);
                outSize = Math.max(outSize, blocks * MR * qn);
            }
        }
        int finalBuf = bufSize, finalOut = outSize, hw = h * wd, ohw = oh * ow;
        // Stride 2 across: the two column phases of a row of phases are computed side by side and
        // interleaved into gx (vector stores) instead of each scattered to every other column.
        boolean pairs = s.strideW() == 2;
        Object call = new Object(); // padding kept from image to image, as in forward
        WorkerPool.SHARED.run(s.n(), n -> {
            float[] planes = Scratch.get(PLANES, finalBuf);
            float[] out = Scratch.get(OUT, Math.max(1, pairs ? 2 * finalOut : finalOut));
            boolean bordersZero = keepsBorders(call, planes, imageSize, finalBuf);
            for (int g = 0; g < s.groups(); g++) {
                padGradient(gy, (n * s.cOut() + g * cog) * ohw, cog, oh, ow, ya.padLo(), xa.padLo(), hg, wg, planes,
                        bordersZero);
                int gxOff = (n * s.cIn() + g * cig) * hw;
                if (phases.length == 1 && phases[0].offsets().length > 0 && wd % L == 0) {
                    // stride 1: the phase is the whole input gradient; whole-vector rows go straight into gx
                    Phase ph = phases[0];
                    int taps = ph.offsets().length;
                    for (int b = 0; b < blocks; b++) {
                        int aOff = (g * blocks + b) * taps * MR;
                        storeRowTiles(taps, ph.packed(), aOff, ph.offsets(), planes, wg, h, wd, gx, gxOff + b * MR * hw,
                                hw, Math.min(MR, cig - b * MR));
                    }
                    continue;
                }
                for (int ay = 0; ay < s.strideH(); ay++) {
                    if (pairs && interleaves(phases[2 * ay], phases[2 * ay + 1])) {
                        Phase even = phases[2 * ay], odd = phases[2 * ay + 1];
                        phaseTiles(even, g, blocks, planes, wg, out, 0);
                        phaseTiles(odd, g, blocks, planes, wg, out, finalOut);
                        scatterPhasePair(out, finalOut, wg, even, odd, cig, s.strideH(), wd, hw, gx, gxOff);
                        continue;
                    }
                    for (int ax = 0; ax < s.strideW(); ax++) {
                        Phase ph = phases[ay * s.strideW() + ax];
                        if (ph.rows() > 0 && ph.cols() > 0) {
                            phaseTiles(ph, g, blocks, planes, wg, out, 0);
                            scatterPhase(out, roundUp(ph.rows() * wg, NR), wg, ph, cig, s.strideH(), s.strideW(), wd, hw,
                                    gx, gxOff);
                        }
                    }
                }
            }
        });
    }

    /**
     * The data gradient of one output phase of group g into {@code out[outOff + c·qn + a·wg + b]}
     * (qn: its rows on the padded width, rounded to tiles), zeros where no tap reaches it.
     */
    private static void phaseTiles(Phase ph, int g, int blocks, float[] planes, int wg, float[] out, int outOff) {
        int taps = ph.offsets().length, qn = roundUp(ph.rows() * wg, NR);
        if (taps == 0) {
            Arrays.fill(out, outOff, outOff + blocks * MR * qn, 0f);
            return;
        }
        for (int b = 0; b < blocks; b++) {
            int aOff = (g * blocks + b) * taps * MR;
            for (int q0 = 0; q0 < qn; q0 += NR) {
                OffsetKernels.forwardTile(taps, ph.packed(), aOff, ph.offsets(), planes, q0, out, outOff + b * MR * qn + q0, qn);
            }
        }
    }

    /**
     * Whether two column phases of stride 2 (columns 2b and 2b + 1) fill whole rows together: the
     * same rows, and as many columns, or one more for the even phase (an odd width).
     */
    private static boolean interleaves(Phase even, Phase odd) {
        return even.rows() > 0 && even.rows() == odd.rows() && odd.cols() > 0
                && (even.cols() == odd.cols() || even.cols() == odd.cols() + 1);
    }

    /**
     * {@link #scatterPhase} for the two column phases of a stride-2 layer at once (even at out[0..],
     * odd at out[oddOff..]): each row of gx is their interleaving
     * ({@link ElementwiseKernels#interleave}).
     */
    private static void scatterPhasePair(float[] out, int oddOff, int wg, Phase even, Phase odd, int channels, int sh,
                                         int w, int hw, float[] gx, int gxOff) {
        int qnEven = roundUp(even.rows() * wg, NR), qnOdd = roundUp(odd.rows() * wg, NR), pairsPerRow = odd.cols();
        for (int ci = 0; ci < channels; ci++) {
            for (int a = 0; a < even.rows(); a++) {
                int e = ci * qnEven + a * wg, o = oddOff + ci * qnOdd + a * wg, d = gxOff + ci * hw + (a * sh + even.ay()) * w;
                ElementwiseKernels.interleave(out, e, out, o, pairsPerRow, gx, d);
                if (even.cols() > pairsPerRow) {
                    gx[d + 2 * pairsPerRow] = out[e + pairsPerRow];
                }
            }
        }
    }

    /**
     * Channel planes of the zero-padded output gradient: {@code top}/{@code left} zeros before each
     * plane/row, zeros after, rows of the image's gy in between. With {@code bordersZero} the zeros
     * are already there (the buffer holds planes of this geometry) and only the rows are copied.
     */
    private static void padGradient(float[] gy, int off, int channels, int oh, int ow, int top, int left,
                                    int hg, int wg, float[] dst, boolean bordersZero) {
        int d = 0;
        for (int c = 0; c < channels; c++) {
            int src = off + c * oh * ow;
            if (!bordersZero) {
                Arrays.fill(dst, d, d + top * wg, 0f);
            }
            d += top * wg;
            for (int r = 0; r < oh; r++, d += wg) {
                if (!bordersZero) {
                    Arrays.fill(dst, d, d + left, 0f);
                    Arrays.fill(dst, d + left + ow, d + wg, 0f);
                }
                ElementwiseKernels.copyRow(gy, src + r * ow, dst, d + left, ow);
            }
            int rest = (hg - top - oh) * wg;
            if (!bordersZero) {
                Arrays.fill(dst, d, d + rest, 0f);
            }
            d += rest;
        }
    }

    /** gx[ci][(a·sh + ay)·W + b·sw + ax] = out[ci·qn + a·wg + b] for the phase's rows and columns. */
    private static void scatterPhase(float[] out, int qn, int wg, Phase ph, int channels, int sh, int sw, int w,
                                     int hw, float[] gx, int gxOff) {
        for (int ci = 0; ci < channels; ci++) {
            int src = ci * qn, dst = gxOff + ci * hw;
            for (int a = 0; a < ph.rows(); a++) {
                int o = src + a * wg, d = dst + (a * sh + ph.ay()) * w + ph.ax();
                if (sw == 1) {
                    ElementwiseKernels.copyRow(out, o, gx, d, ph.cols());
                } else {
                    for (int b = 0; b < ph.cols(); b++) {
                        gx[d + b * sw] = out[o + b];
                    }
                }
            }
        }
    }

    // ---- weight gradient ------------------------------------------------------------------

    static void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw) {
        backwardWeight(s, x, gy, gw, null);
    }

    /** The weight gradient against the input fake-quantized by q (null: the input as it is), quantized as it is laid out. */
    static void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw, InputQuant q) {
        if (ChannelWeightGrad.applies(s)) {
            ChannelWeightGrad.backwardWeight(s, x, gy, gw, q);
            return;
        }
        backwardWeightPositions(s, x, gy, gw, q);
    }

    /** The weight gradient by {@link OffsetKernels#weightTile}, positions in the vector lanes (any geometry). */
    static void backwardWeightPositions(Conv2dShape s, float[] x, float[] gy, float[] gw, InputQuant q) {
        int size = s.weightSize();
        if (s.n() == 0) {
            Arrays.fill(gw, 0, size, 0f);
            return;
        }
        Planes p = Planes.of(s);
        int taps = p.offsets().length, tapsP = roundUp(taps, WN);
        int cig = s.cInPerGroup(), cog = s.cOutPerGroup(), cogP = roundUp(cog, WM);
        int[] offsets = Arrays.copyOf(p.offsets(), tapsP); // padding taps read offset 0, results dropped
        int oh = s.outH(), ow = s.outW(), ohw = oh * ow, hw = s.h() * s.w(), wq = p.wq();
        int qv = roundUp(p.positions(), L);
        int chunk = Math.max(1, Math.min(s.n(), (WEIGHT_CHUNK_POSITIONS + qv - 1) / qv));
        int planesSize = (chunk - 1) * p.imageSize() + Math.max(p.imageSize(), qv + p.maxOffset() + L);
        int gradSize = cogP * chunk * qv;
        BatchSlices.sum(s.n(), s.outH() * s.outW(), WEIGHT_SLICE_POSITIONS, size, gw, (lo, hi, mine, mineOff) -> {
            float[] planes = Scratch.get(PLANES, planesSize);
            float[] grad = Scratch.get(GRAD, gradSize);
            float[] acc = Scratch.get(ACC, cogP * tapsP * L);
            Arrays.fill(planes, 0, planesSize, 0f);
            Arrays.fill(grad, 0, gradSize, 0f);
            for (int g = 0; g < s.groups(); g++) {
                Arrays.fill(acc, 0, cogP * tapsP * L, 0f);
                for (int n0 = lo; n0 < hi; n0 += chunk) {
                    int imgs = Math.min(chunk, hi - n0), ldg = chunk * qv;
                    for (int i = 0; i < imgs; i++) {
                        int n = n0 + i;
                        // the buffer was zeroed above and every image slot keeps this geometry: only values change
                        p.build(x, (n * s.cIn() + g * cig) * hw, planes, i * p.imageSize(), q, true);
                        for (int co = 0; co < cog; co++) {
                            int src = (n * s.cOut() + g * cog + co) * ohw, d = co * ldg + i * qv;
                            for (int a = 0; a < oh; a++) {
                                ElementwiseKernels.copyRow(gy, src + a * ow, grad, d + a * wq, ow);
                            }
                        }
                    }
                    for (int r = 0; r < cogP; r += WM) {
                        for (int c = 0; c < tapsP; c += WN) {
                            OffsetKernels.weightTile(grad, r * ldg, ldg, qv, imgs, qv, planes, p.imageSize(),
                                    offsets, c, acc, (r * tapsP + c) * L, tapsP);
                        }
                    }
                }
                for (int co = 0; co < cog; co++) {
                    for (int k = 0; k < taps; k++) {
                        int a = (co * tapsP + k) * L;
                        float sum = 0f;
                        for (int lane = 0; lane < L; lane++) {
                            sum += acc[a + lane];
                        }
                        mine[mineOff + (g * cog + co) * taps + k] = sum;
                    }
                }
            }
        });
    }
}
