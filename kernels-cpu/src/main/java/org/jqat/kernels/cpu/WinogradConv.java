package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jqat.core.backend.Conv2dShape;

/**
 * Winograd F(2×2, 3×3) for the stride-1, padding-1 3×3 convolutions that carry most of a ResNet's
 * work: each 2×2 block of outputs ("tile") costs 16 multiplies per input–output channel pair
 * instead of 36, in exchange for cheap linear transforms of the input tiles and of the output.
 * The data gradient of such a layer is the same convolution of the output gradient with the
 * kernels turned 180° and their channel axes swapped, so it runs here too.
 *
 * <p>A parallel part takes a chunk of images and runs their tiles in blocks of two vectors:
 * <ol>
 *   <li>each image is split into four zero-padded phase planes (even/odd rows × even/odd columns),
 *       so the sixteen values of every tile's 4×4 input window are sixteen contiguous vector loads
 *       at fixed offsets, tiles in the vector lanes;</li>
 *   <li>the input transform {@code V = Bᵀ d B} writes, for each of the 16 transform positions ξ, the
 *       block's matrix {@code V[ξ]} of input channels × tiles;</li>
 *   <li>for each group of MR output channels, sixteen products {@code M[ξ] = U[ξ] · V[ξ]} run on the
 *       direct convolution's register tile ({@link OffsetKernels#forwardStoreTile}), the kernels
 *       transformed once per call ({@code U = G g Gᵀ}), and the output transform
 *       {@code Y = Aᵀ M A} interleaves each tile row's two output columns back into image rows,
 *       applying the epilogue (bias, residual, ReLU) as it stores.</li>
 * </ol>
 * A block's V and M stay in the first cache levels (a version that transformed a whole chunk
 * before multiplying moved them through L2, and its speed depended on where its buffers landed).
 *
 * <p>F(2,3)'s transforms have coefficients 0, ±1 and ±½ only, so its results differ from the direct
 * convolution's by float rounding of the same order (tests compare both with the reference).
 * The backend routes a layer here when {@link #applies} says so.
 */
final class WinogradConv {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    private static final int MR = OffsetKernels.MR;
    /**
     * Scratch slots (see {@link Scratch}); {@link DirectConv} uses 1–4, im2col 0. The transformed
     * weights live in the calling thread's slots for the length of one call.
     */
    private static final int PLANES = 5, TRANSFORMED = 6, PRODUCTS = 7, WEIGHTS = 8, WEIGHTS_STAGED = 9;
    /**
     * {@code -Djqat.winograd=false} keeps every layer on {@link DirectConv}, {@code true} routes
     * every layer that {@link #fits} here; by default ({@code auto}) the layers where it measured
     * faster ({@link #pays}).
     */
    private static final String MODE = mode(System.getProperty("jqat.winograd", "auto"));

    private static String mode(String value) {
        String v = value.trim();
        if (!v.equals("auto") && !v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException("jqat.winograd must be auto, true or false, got " + value);
        }
        return v;
    }

    private WinogradConv() {
    }

    /** Whether the backend routes this layer's forward pass (or, with {@code dataGradient}, its data gradient) here (see {@link #MODE}). */
    static boolean applies(Conv2dShape s, boolean dataGradient) {
        return switch (MODE) {
            case "false" -> false;
            case "true" -> fits(s);
            default -> fits(s) && pays(s, dataGradient);
        };
    }

    /**
     * The layers where these kernels beat {@link DirectConv} (2026-11-30, Zen 5, 2 threads,
     * transparent huge pages, docs/performance.md "Winograd"): at least 64 input and output
     * channels, so each transformed input vector feeds a long enough product, transformed kernels
     * of at most 4 MiB ({@code 16·cIn·cOut} floats, which every block reads again), and maps at
     * least 14 wide, where the direct tiles lose most: ImageNet ResNet's 64 → 64 at 56×56, 128 at
     * 28×28 and 256 at 14×14 run 1.5× faster (batch 8). On CIFAR maps only the data gradient of the
     * 8×8 stage pays (2.22 against 2.49 ms at batch 128; its forward 2.22 against 1.85, the 16- and
     * 32-channel stages 1.1–1.3× slower); 512 channels 1.2–1.7× slower.
     */
    static boolean pays(Conv2dShape s, boolean dataGradient) {
        return s.cIn() >= 64 && s.cOut() >= 64 && (long) s.cIn() * s.cOut() <= 256 * 256
                && (dataGradient || s.w() >= 14);
    }

    /** The layers this class can run: 3×3, stride 1, padding 1, no dilation, one group. */
    static boolean fits(Conv2dShape s) {
        return s.groups() == 1 && s.kh() == 3 && s.kw() == 3 && s.strideH() == 1 && s.strideW() == 1
                && s.padH() == 1 && s.padW() == 1 && s.dilationH() == 1 && s.dilationW() == 1
                && s.h() >= 2 && s.w() >= 2 && s.n() > 0;
    }

    /** {@code y = relu?(conv(q(x), w) + bias + residual)}; q, bias and residual may be null. */
    static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y, DirectConv.InputQuant q,
                        float[] residual, boolean relu) {
        float[] u = transformWeights(w, s.cOut(), s.cIn(), false);
        run(s.n(), s.cIn(), s.cOut(), s.h(), s.w(), x, u, bias, y, q, residual, relu);
    }

    /** The data gradient: the output gradient convolved with the kernels turned 180°, channel axes swapped. */
    static void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx) {
        float[] u = transformWeights(w, s.cOut(), s.cIn(), true);
        run(s.n(), s.cOut(), s.cIn(), s.h(), s.w(), gy, u, null, gx, null, null, false);
    }

    /**
     * {@code U = G g Gᵀ} for every kernel, packed for the register tile: {@code [ξ][block][cin][MR]}
     * (MR output channels per block, zero-padded). {@code w} is {@code [k][c][3][3]}; with
     * {@code transpose} the convolution computed is the data gradient's: output channel c, input
     * channel k, kernel {@code w[k][c]} turned 180°.
     */
    static float[] transformWeights(float[] w, int k, int c, boolean transpose) {
        int cout = transpose ? c : k, cin = transpose ? k : c, blocks = (cout + MR - 1) / MR;
        // first U of every kernel in storage order, sixteen values each (sequential writes) ...
        float[] each = Scratch.get(WEIGHTS_STAGED, k * c * 16);
        float[] gg = new float[12];
        for (int pair = 0; pair < k * c; pair++) {
            int src = pair * 9;
            // G g, column by column: g0, (g0 + g1 + g2)/2, (g0 − g1 + g2)/2, g2 down each kernel column
            for (int j = 0; j < 3; j++) {
                float g0 = w[src + (transpose ? 8 - j : j)], g1 = w[src + (transpose ? 5 - j : 3 + j)];
                float g2 = w[src + (transpose ? 2 - j : 6 + j)];
                gg[j] = g0;
                gg[3 + j] = 0.5f * (g0 + g1 + g2);
                gg[6 + j] = 0.5f * (g0 - g1 + g2);
                gg[9 + j] = g2;
            }
            // then Gᵀ on each row
            for (int a = 0; a < 4; a++) {
                float t0 = gg[3 * a], t1 = gg[3 * a + 1], t2 = gg[3 * a + 2];
                int d = pair * 16 + a * 4;
                each[d] = t0;
                each[d + 1] = 0.5f * (t0 + t1 + t2);
                each[d + 2] = 0.5f * (t0 - t1 + t2);
                each[d + 3] = t2;
            }
        }
        // ... then packed in the order it is laid out: scattering the sixteen values straight to
        // their ξ (16 streams 16 KiB apart at 64 channels) took 0.4–0.9 ms per 64 × 64 layer
        float[] packed = Scratch.get(WEIGHTS, 16 * blocks * cin * MR);
        int d = 0;
        for (int xi = 0; xi < 16; xi++) {
            for (int b = 0; b < blocks; b++) {
                for (int i = 0; i < cin; i++) {
                    for (int r = 0; r < MR; r++, d++) {
                        int o = b * MR + r;
                        packed[d] = o < cout ? each[(transpose ? i * c + o : o * c + i) * 16 + xi] : 0f;
                    }
                }
            }
        }
        return packed;
    }

    /**
     * Tile geometry of one call; {@code c}/{@code k} are the input/output channels of the
     * convolution run. A parallel part builds the planes of {@code chunk} images and runs their
     * tiles (numbered image by image, row by row, {@code tiles} per image) in blocks of
     * {@link #BLOCK}; a block's transformed input rows hold {@link #ROW} positions.
     */
    private record Geometry(int c, int k, int h, int w, int th, int tw, int wq, int planeSize, int imageSize,
                            int tiles, int chunk) {

        static Geometry of(int n, int c, int k, int h, int w) {
            int th = (h + 1) / 2, tw = (w + 1) / 2, hq = th + 1, wq = tw + 1, planeSize = hq * wq;
            int tiles = th * tw;
            // enough images that small maps still fill whole blocks
            int chunk = Math.max(1, Math.min(n, (2 * BLOCK + tiles - 1) / tiles));
            return new Geometry(c, k, h, w, th, tw, wq, planeSize, c * 4 * planeSize, tiles, chunk);
        }

        /** Planes of a whole chunk, plus room for a tile row's whole-vector reads past the last image. */
        int planesSize() {
            return chunk * imageSize + 2 * wq + 2 * L;
        }
    }

    /** Tiles per block: the register tile's two vectors. */
    private static final int BLOCK = 2 * L;
    /** Positions per row of a block's transformed input and products. */
    private static final int ROW = BLOCK;

    /**
     * The distance between the sixteen ξ of a block's transformed input ({@code rows} channel
     * rows each) or products: one cache line more than the rows, so the sixteen stores of a
     * transform do not all fall in one L1 set (at 16 channels the rows alone are 4 KiB apart:
     * 57 against 19–21 ns per channel and vector of tiles, measured on a copy of the input
     * transform), and room for the last row's whole-vector stores to run past the block.
     */
    private static int xiStride(int rows) {
        return rows * ROW + 16;
    }

    private static void run(int n, int c, int k, int h, int w, float[] x, float[] u, float[] bias, float[] y,
                            DirectConv.InputQuant q, float[] residual, boolean relu) {
        Geometry g = Geometry.of(n, c, k, h, w);
        int blocks = (k + MR - 1) / MR, parts = (n + g.chunk() - 1) / g.chunk();
        int[] rowOffsets = new int[c];
        for (int ci = 0; ci < c; ci++) {
            rowOffsets[ci] = ci * ROW;
        }
        Object call = new Object();
        WorkerPool.SHARED.run(parts, part -> {
            int n0 = part * g.chunk(), imgs = Math.min(g.chunk(), n - n0);
            float[] planes = Scratch.get(PLANES, g.planesSize());
            float[] v = Scratch.get(TRANSFORMED, 16 * xiStride(c));
            float[] m = Scratch.get(PRODUCTS, 16 * xiStride(MR));
            DirectConv.keepsBorders(call, planes, 0, g.planesSize());
            float[] lanes = Scratch.get(0, Math.max(w, L)), row = lanes; // the quantized row, then a partial output vector
            for (int i = 0; i < imgs; i++) {
                buildPlanes(g, x, (n0 + i) * c * h * w, planes, i * g.imageSize(), q, row);
            }
            int total = imgs * g.tiles();
            for (int t0 = 0; t0 < total; t0 += BLOCK) {
                int t1 = Math.min(total, t0 + BLOCK);
                transformInput(g, planes, t0, t1, v);
                for (int b = 0; b < blocks; b++) {
                    int rows = Math.min(MR, k - b * MR);
                    for (int xi = 0; xi < 16; xi++) {
                        int p0 = xi * xiStride(c), o = xi * xiStride(MR);
                        OffsetKernels.forwardStoreTile(c, u, (xi * blocks + b) * c * MR, rowOffsets, v, p0, p0 + L,
                                m, o, o + L, ROW, rows);
                    }
                    transformOutput(g, m, t0, t1, b * MR, rows, bias, residual, relu, y, n0 * k * h * w, lanes);
                }
            }
        });
    }

    /**
     * Image {@code xOff} of x (c planes of h × w) as four phase planes per channel at {@code dst}:
     * plane (py, px), row r, column j holds the input at row {@code 2r + py − 1}, column
     * {@code 2j + px − 1}; positions outside the image are never written (the buffer holds zeros
     * there). Rows are split into even and odd columns ({@link ElementwiseKernels#deinterleave}); q, when not null, fake-quantizes
     * each row first (through {@code row}), so the values are those of {@link FakeQuantKernels#quantizeRow}.
     */
    private static void buildPlanes(Geometry g, float[] x, int xOff, float[] dst, int dOff, DirectConv.InputQuant q,
                                    float[] row) {
        int h = g.h(), w = g.w(), wq = g.wq(), ps = g.planeSize();
        int odds = w / 2;
        for (int ci = 0; ci < g.c(); ci++) {
            int plane0 = dOff + ci * 4 * ps;
            for (int iy = 0; iy < h; iy++) {
                int py = (iy + 1) & 1, r = (iy + 1) >> 1;
                // even source columns 2m land in phase (py, 1) column m; odd ones 2m+1 in phase (py, 0) column m+1
                int toEven = plane0 + (2 * py + 1) * ps + r * wq, toOdd = plane0 + 2 * py * ps + r * wq + 1;
                float[] src = x;
                int s = xOff + (ci * h + iy) * w;
                if (q != null) {
                    FakeQuantKernels.quantizeRow(x, s, row, 0, w, q.step(), q.beta(), q.qmin(), q.qmax());
                    src = row;
                    s = 0;
                }
                ElementwiseKernels.deinterleave(src, s, odds, dst, toEven, dst, toOdd);
                if (w % 2 != 0) { // an odd width's last column
                    dst[toEven + odds] = src[s + w - 1];
                }
            }
        }
    }

    /**
     * {@code V = Bᵀ d B} for tiles [t0, t1) of the chunk: tile t0 + j of channel ci goes to
     * {@code v[ξ·xiStride(c) + ci·ROW + j]}. Channel by channel, the block's tile-row segments are
     * taken in order, a vector of tiles per step, each stored whole: lanes past a segment's end are
     * overwritten by the next segment, past the block's end by the next channel's row (written
     * after this one), and past the last channel's row they land in the padding before the next ξ.
     */
    private static void transformInput(Geometry g, float[] planes, int t0, int t1, float[] v) {
        int ps = g.planeSize(), wq = g.wq(), tw = g.tw(), xs = xiStride(g.c());
        // phase plane (py, px) of row i, column j of a tile's window: (i % 2, j % 2), one row/column further for i, j ≥ 2
        int p01 = ps, p10 = 2 * ps, p11 = 3 * ps;
        for (int ci = 0; ci < g.c(); ci++) {
            for (int t = t0; t < t1; ) {
                int img = t / g.tiles(), r = t % g.tiles(), ty = r / tw, tx = r % tw;
                int len = Math.min(tw - tx, t1 - t);
                int plane0 = img * g.imageSize() + ci * 4 * ps + ty * wq + tx;
                for (int j = 0; j < len; j += L) {
                    int b = plane0 + j;
                    // d[i][j] = padded input (2ty + i, 2tx + j)
                    FloatVector d00 = FloatVector.fromArray(S, planes, b);
                    FloatVector d01 = FloatVector.fromArray(S, planes, b + p01);
                    FloatVector d02 = FloatVector.fromArray(S, planes, b + 1);
                    FloatVector d03 = FloatVector.fromArray(S, planes, b + p01 + 1);
                    FloatVector d10 = FloatVector.fromArray(S, planes, b + p10);
                    FloatVector d11 = FloatVector.fromArray(S, planes, b + p11);
                    FloatVector d12 = FloatVector.fromArray(S, planes, b + p10 + 1);
                    FloatVector d13 = FloatVector.fromArray(S, planes, b + p11 + 1);
                    FloatVector d20 = FloatVector.fromArray(S, planes, b + wq);
                    FloatVector d21 = FloatVector.fromArray(S, planes, b + p01 + wq);
                    FloatVector d22 = FloatVector.fromArray(S, planes, b + wq + 1);
                    FloatVector d23 = FloatVector.fromArray(S, planes, b + p01 + wq + 1);
                    FloatVector d30 = FloatVector.fromArray(S, planes, b + p10 + wq);
                    FloatVector d31 = FloatVector.fromArray(S, planes, b + p11 + wq);
                    FloatVector d32 = FloatVector.fromArray(S, planes, b + p10 + wq + 1);
                    FloatVector d33 = FloatVector.fromArray(S, planes, b + p11 + wq + 1);
                    int o = ci * ROW + t - t0 + j;
                    // Bᵀ on the rows of the window (d0 − d2, d1 + d2, d2 − d1, d1 − d3), then the same on its columns;
                    // written out: a vector passed to a call the JIT does not inline is boxed
                    FloatVector e0 = d00.sub(d20), e1 = d01.sub(d21), e2 = d02.sub(d22), e3 = d03.sub(d23);
                    e0.sub(e2).intoArray(v, o);
                    e1.add(e2).intoArray(v, o + xs);
                    e2.sub(e1).intoArray(v, o + 2 * xs);
                    e1.sub(e3).intoArray(v, o + 3 * xs);
                    e0 = d10.add(d20);
                    e1 = d11.add(d21);
                    e2 = d12.add(d22);
                    e3 = d13.add(d23);
                    e0.sub(e2).intoArray(v, o + 4 * xs);
                    e1.add(e2).intoArray(v, o + 5 * xs);
                    e2.sub(e1).intoArray(v, o + 6 * xs);
                    e1.sub(e3).intoArray(v, o + 7 * xs);
                    e0 = d20.sub(d10);
                    e1 = d21.sub(d11);
                    e2 = d22.sub(d12);
                    e3 = d23.sub(d13);
                    e0.sub(e2).intoArray(v, o + 8 * xs);
                    e1.add(e2).intoArray(v, o + 9 * xs);
                    e2.sub(e1).intoArray(v, o + 10 * xs);
                    e1.sub(e3).intoArray(v, o + 11 * xs);
                    e0 = d10.sub(d30);
                    e1 = d11.sub(d31);
                    e2 = d12.sub(d32);
                    e3 = d13.sub(d33);
                    e0.sub(e2).intoArray(v, o + 12 * xs);
                    e1.add(e2).intoArray(v, o + 13 * xs);
                    e2.sub(e1).intoArray(v, o + 14 * xs);
                    e1.sub(e3).intoArray(v, o + 15 * xs);
                }
                t += len;
            }
        }
    }

    /**
     * {@code Y = Aᵀ M A} for tiles [t0, t1) of the chunk and output channels [k0, k0 + rows),
     * whose products are {@code m[ξ·xiStride(MR) + r·ROW + j]} for tile t0 + j: each tile-row segment's
     * outputs are interleaved back into two image rows of {@code y[yOff + (img·k + k0 + r)·h·w ..]},
     * with {@code relu?(· + bias + residual)} applied as they are stored (bias and residual may be null).
     */
    private static void transformOutput(Geometry g, float[] m, int t0, int t1, int k0, int rows, float[] bias,
                                        float[] residual, boolean relu, float[] y, int yOff, float[] lanes) {
        int tw = g.tw(), h = g.h(), w = g.w(), hw = h * w, xs = xiStride(MR);
        FloatVector zero = FloatVector.zero(S);
        for (int t = t0; t < t1; ) {
            int img = t / g.tiles(), rem = t % g.tiles(), ty = rem / tw, tx = rem % tw;
            int len = Math.min(tw - tx, t1 - t);
            int outRows = Math.min(2, h - 2 * ty);
            for (int r = 0; r < rows; r++) {
                FloatVector b = FloatVector.broadcast(S, bias == null ? 0f : bias[k0 + r]);
                int plane = yOff + (img * g.k() + k0 + r) * hw;
                for (int j = 0; j < len; j += L) {
                    int o = r * ROW + t - t0 + j;
                    // Aᵀ on the rows of M (m0 + m1 + m2, m1 − m2 − m3) for each of its four columns: top sj, bottom uj
                    FloatVector m0 = FloatVector.fromArray(S, m, o), m1 = FloatVector.fromArray(S, m, o + 4 * xs);
                    FloatVector m2 = FloatVector.fromArray(S, m, o + 8 * xs), m3 = FloatVector.fromArray(S, m, o + 12 * xs);
                    FloatVector s0 = m0.add(m1).add(m2), u0 = m1.sub(m2).sub(m3);
                    m0 = FloatVector.fromArray(S, m, o + xs);
                    m1 = FloatVector.fromArray(S, m, o + 5 * xs);
                    m2 = FloatVector.fromArray(S, m, o + 9 * xs);
                    m3 = FloatVector.fromArray(S, m, o + 13 * xs);
                    FloatVector s1 = m0.add(m1).add(m2), u1 = m1.sub(m2).sub(m3);
                    m0 = FloatVector.fromArray(S, m, o + 2 * xs);
                    m1 = FloatVector.fromArray(S, m, o + 6 * xs);
                    m2 = FloatVector.fromArray(S, m, o + 10 * xs);
                    m3 = FloatVector.fromArray(S, m, o + 14 * xs);
                    FloatVector s2 = m0.add(m1).add(m2), u2 = m1.sub(m2).sub(m3);
                    m0 = FloatVector.fromArray(S, m, o + 3 * xs);
                    m1 = FloatVector.fromArray(S, m, o + 7 * xs);
                    m2 = FloatVector.fromArray(S, m, o + 11 * xs);
                    m3 = FloatVector.fromArray(S, m, o + 15 * xs);
                    FloatVector s3 = m0.add(m1).add(m2), u3 = m1.sub(m2).sub(m3);
                    int cols = Math.min(2 * Math.min(L, len - j), w - 2 * (tx + j));
                    for (int a = 0; a < outRows; a++) {
                        // then on the columns: even output column t0 + t1 + t2, odd t1 − t2 − t3
                        FloatVector even = a == 0 ? s0.add(s1).add(s2) : u0.add(u1).add(u2);
                        FloatVector odd = a == 0 ? s1.sub(s2).sub(s3) : u1.sub(u2).sub(u3);
                        even = even.add(b);
                        odd = odd.add(b);
                        int at = plane + (2 * ty + a) * w + 2 * (tx + j);
                        for (int half = 0; half < 2 && half * L < cols; half++) {
                            FloatVector z = even.rearrange(half == 0 ? ElementwiseKernels.ZIP_LO : ElementwiseKernels.ZIP_HI, odd);
                            int count = Math.min(L, cols - half * L), p = at + half * L;
                            if (count == L) {
                                if (residual != null) {
                                    z = z.add(FloatVector.fromArray(S, residual, p));
                                }
                                if (relu) {
                                    z = z.max(zero);
                                }
                                z.intoArray(y, p);
                            } else {
                                // a part of a vector (8-wide maps, odd widths): through `lanes`, value by value
                                z.intoArray(lanes, 0);
                                for (int i = 0; i < count; i++) {
                                    float val = residual == null ? lanes[i] : lanes[i] + residual[p + i];
                                    y[p + i] = relu ? Math.max(0f, val) : val;
                                }
                            }
                        }
                    }
                }
            }
            t += len;
        }
    }
}
