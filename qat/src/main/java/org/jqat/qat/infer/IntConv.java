package org.jqat.qat.infer;

import org.jqat.core.Threads;

/**
 * A quantized convolution (or linear layer: 1×1 kernel over a 1×1 image) on the activation codes
 * of a whole batch, its requantization fused into the tile loop ({@link Epilogue}): the int32
 * accumulators Σ code_in·code_w live only in a tile; the zero-point correction and all scales
 * live in the epilogue's {@link Requant}.
 *
 * <p>SIMD lowering ({@link ConvKernel}): a stride-1 conv reads each image from padded code planes
 * (border = the input zero point) and computes its outputs on the padded width, so a tap is a
 * contiguous run at a fixed offset and nothing is copied per tap; other convs (stride 2, linear
 * layers) gather im2col columns, several images side by side when an image has fewer positions
 * than a tile. Work is split over images and, when there are fewer images than threads, over
 * blocks of output channels, on {@link Threads}; every output is computed by one part with the
 * same exact integers, so the result does not depend on the thread count. The arithmetic is 16-bit
 * or float, in whichever of the two {@link Accumulation} proves exact and finds faster.
 *
 * <p>Scalar twin ({@code simd = false}): per image, {@link Im2col#im2colScalar} and
 * {@link IntGemm#gemmScalar}, then the epilogue's scalar requantization.
 */
final class IntConv {
    final String name;
    final WeightCodes weights;
    final int inChannels;
    final int kernel;
    final int stride;
    final int padding;
    final boolean simd;
    final Accumulation accumulation;
    /** Whether the tiles are bit-serial ({@link BitSerial}): 2-bit codes on a CPU that counts bits in vectors. */
    final boolean bits;

    /**
     * The least work (multiply-adds) worth a part of its own: about 50 µs of one core's 16-bit
     * kernel. Measured at batch 1 (ResNet-20, 2.4M MACs a conv): 2 threads took 1.97 ms a
     * forward, 1 thread 1.49 ms, the helpers' wake-ups costing more than the split saves.
     */
    static final long MIN_PART_MACS = 1L << 22;

    /** {@link #MIN_PART_MACS}; tests lower it to split small layers over parts and channel groups. */
    long minPartMacs = MIN_PART_MACS;

    /** Per-thread buffers reused between tiles, layers and calls (each part runs on one thread). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        short[] src = new short[0];
        int[] off = new int[0];
        int[] acc = new int[0];
        short[] part = new short[0];
        short[] bits = new short[0];
        int[] bitsOff = new int[0];
        final TileRuns runs = new TileRuns();

        short[] part(int n) {
            return part.length >= n ? part : (part = new short[n]);
        }

        short[] src(int n) {
            return src.length >= n ? src : (src = new short[n]);
        }

        short[] bits(int n) {
            return bits.length >= n ? bits : (bits = new short[n]);
        }

        int[] bitsOff(int n) {
            return bitsOff.length >= n ? bitsOff : (bitsOff = new int[n]);
        }

        int[] off(int n) {
            return off.length >= n ? off : (off = new int[n]);
        }

        int[] acc(int n) {
            return acc.length >= n ? acc : (acc = new int[n]);
        }
    }

    /** {@code inMin..inMax}: the input codes' range, which bounds the products ({@link Accumulation}). */
    IntConv(String name, WeightCodes weights, int inChannels, int kernel, int stride, int padding, int inMin, int inMax, boolean simd) {
        if (weights.cols() != inChannels * kernel * kernel) {
            throw new IllegalArgumentException("integer inference: " + name + " weight has " + weights.cols() + " columns, expected "
                    + inChannels + "·" + kernel + "·" + kernel);
        }
        this.name = name;
        this.weights = weights;
        this.inChannels = inChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.simd = simd;
        this.accumulation = Accumulation.of(weights, inMin, inMax);
        // the codes' range as stored: packed codes span [codeMin, codeMin + 2^bits − 1]
        int wMin = weights.packed() ? weights.codeMin() : Byte.MIN_VALUE;
        int wMax = weights.packed() ? weights.codeMin() + (1 << weights.bits()) - 1 : Byte.MAX_VALUE;
        this.bits = simd && BitSerial.fits(wMin, wMax, inMin, inMax) && BitSerial.words(inChannels, kernel * kernel) <= BitSerial.MAX_WORDS
                && BitSerial.enabled();
        if ((long) accumulation.maxProduct() * weights.cols() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("integer inference: " + name + " sums " + weights.cols() + " products up to "
                    + accumulation.maxProduct() + ", which can overflow int32");
        }
    }

    int outChannels() {
        return weights.rows();
    }

    /** How the layer's products are summed, for a model's description. */
    String arithmetic() {
        return bits ? "bit-serial 2x2" : accumulation.describe();
    }

    int outH(Act in) {
        return Im2col.outSize(in.h(), kernel, stride, padding);
    }

    int outW(Act in) {
        return Im2col.outSize(in.w(), kernel, stride, padding);
    }

    /** {@code in} as this layer reads it: a linear layer takes a flattened {@code [c][h][w]} image as c·h·w features. */
    Act input(Act in) {
        in.expect("codes", name);
        Act a = kernel == 1 && in.h() * in.w() > 1 && inChannels == in.perImage() ? in.flat() : in;
        if (a.c() != inChannels) {
            throw new IllegalArgumentException("integer inference: " + name + " expects " + inChannels + " channels, got " + a.c());
        }
        return a;
    }

    /** Runs the layer on every image of {@code in} (as returned by {@link #input}), handing the accumulators to {@code out}. */
    void forward(Act a, Epilogue out) {
        forward(a, out, null);
    }

    /** As {@link #forward(Act, Epilogue)}, taking the widened (or float) weights from {@code ws} (kept there after the first call) when given. */
    void forward(Act a, Epilogue out, Workspace ws) {
        if (simd) {
            forwardSimd(a, out, ws, null);
        } else {
            Threads.parallelFor(a.n(), img -> forwardScalar(a, img, out));
        }
    }

    private void forwardScalar(Act a, int img, Epilogue out) {
        int oh = outH(a);
        int ow = outW(a);
        int p = oh * ow;
        int per = a.perImage();
        byte[] image = java.util.Arrays.copyOfRange(a.codes(), img * per, (img + 1) * per);
        byte[] col = new byte[weights.cols() * p];
        Im2col.im2colScalar(image, a.c(), a.h(), a.w(), kernel, stride, padding, (byte) a.zeroPoint(), col);
        int[] acc = new int[outChannels() * p];
        IntGemm.gemmScalar(weights, col, a.unsigned(), p, acc);
        for (int co = 0; co < outChannels(); co++) {
            for (int y = 0; y < oh; y++) {
                out.run(img, co, y, 0, ow, acc, co * p + y * ow, false);
            }
        }
    }

    /**
     * Whether this (SIMD) layer can write its output codes straight into the code planes of
     * {@code next} ({@link Epilogue#planes}): both stride 1 on shared planes with the same padding,
     * this one keeping the image size ({@code 2·padding = kernel − 1}), so its grid of positions is
     * the next one's planes shifted by the border rows and columns, and its junk positions land on
     * the next one's border.
     */
    boolean feedsPlanesOf(IntConv next) {
        return simd && next.simd && stride == 1 && next.stride == 1 && 2 * padding == kernel - 1 && padding == next.padding
                && padding < next.kernel && next.inChannels == outChannels();
    }

    /** The rows and columns of this layer's shared code planes for {@code h × w} images: {@code h + padding}, {@code w + padding}. */
    int planeRows(int h) {
        return h + padding;
    }

    int planeCols(int w) {
        return w + padding;
    }

    /** Shorts per input channel of this layer's shared code planes for n images of {@code h × w}. */
    int planeBlock(int n, int h, int w) {
        return (n * planeRows(h) + padding) * planeCols(w);
    }

    /** Shorts of this layer's shared code planes for n images of {@code h × w}, with the slack its tiles read past the end. */
    int planesLength(int n, int h, int w) {
        return inChannels * planeBlock(n, h, w) + kernel * (planeCols(w) + 1) + 2 * ConvKernel.tile();
    }

    /**
     * Writes the input zero point into every border code of shared code planes whose values were
     * written by the previous layer's {@link Epilogue#planes} (which also leaves junk there): each
     * image's top {@code padding} rows, each row's left {@code padding} columns, the rows after the
     * last image and the slack past the last channel.
     */
    void fillBorders(short[] planes, int n, int h, int w, short zeroPoint) {
        for (int ci = 0; ci < inChannels; ci++) {
            fillBorders(planes, ci, n, h, w, zeroPoint);
        }
        java.util.Arrays.fill(planes, inChannels * planeBlock(n, h, w), planesLength(n, h, w), zeroPoint);
    }

    /** {@link #fillBorders} of channel {@code ci}'s plane only (not the slack past the last channel). */
    private void fillBorders(short[] planes, int ci, int n, int h, int w, short zeroPoint) {
        int hs = planeRows(h);
        int ws = planeCols(w);
        int block = planeBlock(n, h, w);
        int c0 = ci * block;
        for (int img = 0; img < n; img++) {
            int top = c0 + img * hs * ws;
            java.util.Arrays.fill(planes, top, top + padding * ws, zeroPoint);
            for (int row = top + padding * ws, end = row + h * ws; row < end; row += ws) {
                for (int p = row; p < row + padding; p++) {
                    planes[p] = zeroPoint;
                }
            }
        }
        java.util.Arrays.fill(planes, c0 + n * hs * ws, c0 + block, zeroPoint);
    }

    /**
     * This layer's shared code planes (padding 1) built straight from a stream in the grid layout
     * ({@link Act#grid}, the same geometry shifted by one border row and column): each channel's
     * whole grid requantized by row {@code ci} of {@code q} straight into 16-bit codes, then the
     * border written. The dense stream's codes and their lowering are skipped.
     */
    void planesFromGrid(Act s, Requant q, short zeroPoint, short[] planes) {
        if (!s.grid() || padding != 1 || s.c() != inChannels) {
            throw new IllegalStateException("integer inference: " + name + " takes a grid stream of " + inChannels + " channels");
        }
        int n = s.n();
        int plane = s.gridPlane();
        int block = planeBlock(n, s.h(), s.w());
        int shift = planeCols(s.w()) + 1;
        for (int ci = 0; ci < inChannels; ci++) {
            Requantize.shortsRow(s.stream(), ci * plane, plane, q, ci, planes, ci * block + shift);
            // the channel's borders while its plane is in L1: after all channels, each border store
            // of the strided pass went to L2
            fillBorders(planes, ci, n, s.h(), s.w(), zeroPoint);
        }
        java.util.Arrays.fill(planes, inChannels * block, planesLength(n, s.h(), s.w()), zeroPoint);
    }

    /**
     * Runs the layer on n images of {@code h × w} whose codes are already in shared code planes
     * ({@code planes}, {@link #planesLength} long, borders filled): what a previous layer left by
     * {@link #feedsPlanesOf}. {@code a} gives the input's geometry and code grid (its codes are not read).
     */
    void forwardPlanes(Act a, short[] planes, Epilogue out, Workspace ws) {
        if (!simd || stride != 1 || padding >= kernel) {
            throw new IllegalStateException("integer inference: " + name + " does not read shared code planes");
        }
        forwardSimd(a, out, ws, planes);
    }

    /**
     * The SIMD convolution. With {@code prebuilt} (shared code planes of all n images, borders
     * filled) every part reads those; else each part lowers its own images (or, at batch 1 split
     * into channel groups, the call lowers them once).
     */
    private void forwardSimd(Act a, Epilogue out, Workspace workspace, short[] prebuilt) {
        int n = a.n();
        int oh = outH(a);
        int ow = outW(a);
        int rows = ConvKernel.ROWS;
        int threads = Threads.count();
        // stride 1: neighbouring rows and images share their padding (see planes); else phase planes
        boolean shared = stride == 1 && padding < kernel;
        int hs = shared ? a.h() + padding : ceilDiv(a.h() + 2 * padding, stride);
        int ws = shared ? a.w() + padding : ceilDiv(a.w() + 2 * padding, stride);
        boolean pairs = !bits && pairs(n * hs * ws);
        // a tile's positions: two per lane when pairs
        int tile = pairs ? 2 * ConvKernel.tile() : ConvKernel.tile();
        int k = weights.cols();
        // the weight blocks in the kernel's span-major order: spans of the taps a lane adds between splits or widenings
        int span = pairs ? accumulation.pairChunk()
                : accumulation.shortLanes() ? accumulation.chunk()
                : Math.min(k, accumulation.floatSpan());
        boolean floats = !bits && !pairs && !accumulation.shortLanes();
        boolean shorts = !bits && !floats;
        short[] w = !shorts ? null : workspace == null ? shortWeights(span) : workspace.constant(this, span, short[].class, () -> shortWeights(span));
        float[] wf = !floats ? null : workspace == null ? floatWeights(span) : workspace.constant(this, span, float[].class, () -> floatWeights(span));
        int[] wb = !bits ? null : workspace == null ? bitWeights() : workspace.constant(this, 0, int[].class, this::bitWeights);
        int words = BitSerial.words(inChannels, kernel * kernel);
        // parts worth handing to another thread: a helper's wake-up costs tens of microseconds
        long macs = (long) n * oh * ow * outChannels() * k;
        int most = (int) Math.max(1, Math.min(Integer.MAX_VALUE, macs / minPartMacs));
        // images per part: enough grid for several tiles (small images, linear layers), leaving a part per thread
        int perPart = Math.max(ceilDiv(n, most), Math.max(1, Math.min(ceilDiv(8 * tile, hs * ws), ceilDiv(n, threads))));
        int imageParts = ceilDiv(n, perPart);
        int blocks = ceilDiv(outChannels(), rows);
        // fewer image parts than twice the threads (small batches): split the output channels too
        int target = Math.min(2 * threads, most);
        int perGroup = ceilDiv(blocks, Math.max(1, Math.min(blocks, ceilDiv(target, imageParts))));
        int groups = ceilDiv(blocks, perGroup);
        // one image part split into channel groups (batch 1): its planes are built once, here, and shared
        Scratch caller = SCRATCH.get();
        short[] once;
        int[] onceOff;
        if (prebuilt != null) {
            once = prebuilt;
            onceOff = offsets(true, n, hs, ws, caller.off(k));
            if (pairs) {
                ConvKernel.pair(prebuilt, planesLength(n, a.h(), a.w()) - ConvKernel.tile());
            }
        } else {
            once = imageParts == 1 && groups > 1 ? lower(a, 0, n, shared, hs, ws, caller, tile) : null;
            onceOff = once == null ? null : caller.off;
        }
        if (bits && once != null) {
            // the planes every part reads, as bit planes, once (the parts then leave the caller's bit buffers alone)
            once = toBits(once, onceOff, n, shared, hs, ws, tile, a.zeroPoint(), caller);
            onceOff = caller.bitsOff;
        }
        short[] common = once;
        int[] commonOff = onceOff;
        Threads.parallelFor(imageParts * groups, part -> {
            int i0 = part / groups * perPart;
            int i1 = Math.min(n, i0 + perPart);
            int b0 = part % groups * perGroup;
            int b1 = Math.min(blocks, b0 + perGroup);
            Scratch s = SCRATCH.get();
            short[] src = common != null ? common : lower(a, i0, i1, shared, hs, ws, s, tile);
            int[] off = common != null ? commonOff : s.off;
            if (bits && common == null) {
                // this part's own planes (images i0 .. i1−1) as bit planes
                src = toBits(src, off, i1 - i0, shared, hs, ws, tile, a.zeroPoint(), s);
                off = s.bitsOff;
            }
            int gridLen = ((i1 - i0 - 1) * hs + oh) * ws;
            // where the part's grid starts in its planes: planes of the whole call start at image 0
            int base = common != null ? i0 * hs * ws : 0;
            int[] acc = s.acc(rows * tile);
            short[] partial = s.part(Math.max(3 * rows * ConvKernel.tile(), BitSerial.partLength()));
            TileRuns runs = s.runs;
            // tiles outer, channel blocks inner: a tile's runs are found once for all its blocks
            for (int o0 = 0; o0 < gridLen; o0 += tile) {
                runs.of(o0, tile, gridLen, i0, hs, ws, oh, ow, outChannels());
                int at = base + o0;
                for (int b = b0; b < b1; b++) {
                    int block = b * rows * k;
                    if (bits) {
                        BitSerial.tile(wb, b * rows * 2 * words, words, src, off, at, acc, partial);
                    } else if (pairs) {
                        ConvKernel.tilePairs(w, block, k, src, off, at, accumulation.pairChunk(), accumulation.anyWindow(), acc, partial);
                    } else if (accumulation.shortLanes()) {
                        ConvKernel.tileShort(w, block, k, src, off, at, accumulation.chunk(), acc, partial);
                    } else {
                        ConvKernel.tileFloat(wf, block, k, src, off, at, span, gridLen - o0, acc);
                    }
                    out.tile(b * rows, Math.min(rows, outChannels() - b * rows), acc, tile, runs);
                }
            }
        });
    }

    /**
     * Whether a call over a grid of {@code grid} positions carries two positions per lane: when the
     * codes allow it ({@link Accumulation#pairs()}) and the grid fills at least four paired tiles
     * (2T positions each). A small grid (one 8×8 image: 81 positions) would compute mostly wasted
     * positions in a 256-position tile: ResNet-20 W2A2 at batch 1 ran 0.80 ms against 0.64 at W4A4.
     */
    boolean pairs(int grid) {
        return accumulation.pairs() && grid >= 8 * ConvKernel.tile();
    }

    /**
     * Code planes {@code src} of {@code images} images (their taps at {@code off}) as bit planes
     * ({@link BitSerial#pack}) in {@code s}'s bit buffer, returned, with the words' offsets in
     * {@code s.bitsOff}.
     */
    private short[] toBits(short[] src, int[] off, int images, boolean shared, int hs, int ws, int tile, int zeroPoint, Scratch s) {
        int taps = kernel * kernel;
        // the distance between channel planes, and the positions the tiles read past the last (as lower() leaves them)
        int len = shared ? (images * hs + padding) * ws : stride * stride * images * hs * ws;
        int slack = kernel * (ws + 1) + tile;
        short[] bits = s.bits(BitSerial.bitsLength(inChannels, len, slack));
        BitSerial.pack(src, inChannels, len, slack, zeroPoint, bits);
        BitSerial.offsets(off, inChannels, taps, len, s.bitsOff(BitSerial.words(inChannels, taps)));
        return bits;
    }

    /** Each tap's offset from an output's grid position in the code planes of {@code images} images, into {@code off}. */
    private int[] offsets(boolean shared, int images, int hs, int ws, int[] off) {
        int block = shared ? (images * hs + padding) * ws : images * hs * ws;
        for (int ci = 0, t = 0; ci < inChannels; ci++) {
            for (int kh = 0; kh < kernel; kh++) {
                for (int kw = 0; kw < kernel; kw++) {
                    off[t++] = shared ? ci * block + kh * ws + kw
                            : ((ci * stride + kh % stride) * stride + kw % stride) * block + kh / stride * ws + kw / stride;
                }
            }
        }
        return off;
    }

    /** The code planes of images {@code i0 .. i1−1} into {@code s.src}, and each tap's offset into {@code s.off}. */
    private short[] lower(Act a, int i0, int i1, boolean shared, int hs, int ws, Scratch s, int tile) {
        int block = shared ? ((i1 - i0) * hs + padding) * ws : (i1 - i0) * hs * ws;
        offsets(shared, i1 - i0, hs, ws, s.off(weights.cols()));
        short[] src = shared ? sharedPlanes(a, i0, i1, hs, ws, block, s, tile) : planes(a, i0, i1, hs, ws, s, tile);
        if (tile > ConvKernel.tile()) {
            // pairs, tile = 2T: the planes end 2T past the last read, the pairs T past it
            int len = (shared ? inChannels * block : inChannels * stride * stride * block) + kernel * (ws + 1) + tile;
            ConvKernel.pair(src, len - ConvKernel.tile());
        }
        return src;
    }

    /**
     * Images {@code i0 .. i1−1} as phase planes of the padded input, border = zero point:
     * {@code [c][stride][stride][image][hs][ws]}, plane (py, px) holding padded rows ≡ py and
     * columns ≡ px (mod stride). Tap (kh, kw) of output (y, x) is then element
     * {@code (y + kh/stride, x + kw/stride)} of plane (kh mod stride, kw mod stride): at a fixed
     * offset from the output's grid position, whatever the stride.
     */
    private short[] planes(Act a, int i0, int i1, int hs, int ws, Scratch s, int tile) {
        int block = (i1 - i0) * hs * ws;
        int body = inChannels * stride * stride * block;
        int len = body + kernel * (ws + 1) + tile;
        short[] src = s.src(len);
        java.util.Arrays.fill(src, 0, len, (short) a.zeroPoint());
        byte[] codes = a.codes();
        int h = a.h();
        int w = a.w();
        for (int ci = 0; ci < inChannels; ci++) {
            for (int img = i0; img < i1; img++) {
                for (int r = 0; r < h; r++) {
                    int from = ((img * inChannels + ci) * h + r) * w;
                    int pr = r + padding;
                    int rowBase = (img - i0) * hs * ws + pr / stride * ws;
                    if (stride == 1) {
                        ConvKernel.widen(codes, from, a.unsigned(), src, ci * block + rowBase + padding, w);
                        continue;
                    }
                    if (stride == 2) {
                        // padded column x + padding: even ones to phase 0, odd ones to phase 1, at (x + padding)/2
                        int phases = (ci * 2 + pr % 2) * 2 * block + rowBase;
                        int even = phases + padding % 2 * block + padding / 2;
                        int odd = phases + (1 + padding) % 2 * block + (1 + padding) / 2;
                        ConvKernel.deinterleave(codes, from, a.unsigned(), src, even, odd, w);
                        continue;
                    }
                    int mask = a.unsigned() ? 0xFF : -1;
                    for (int px = 0; px < stride; px++) {
                        // the columns of phase px: padded column x + padding ≡ px (mod stride), at x + padding = j·stride + px
                        int x = Math.floorMod(px - padding, stride);
                        int to = ((ci * stride + pr % stride) * stride + px) * block + rowBase + (x + padding) / stride;
                        for (; x < w; x += stride) {
                            src[to++] = (short) (codes[from + x] & mask);
                        }
                    }
                }
            }
        }
        return src;
    }

    /**
     * Stride 1: images {@code i0 .. i1−1} stacked in one plane per channel, each row {@code padding}
     * border codes then the image row ({@code ws = w + padding}), each image {@code padding} border
     * rows then its rows ({@code hs = h + padding}), {@code padding} border rows after the last.
     * A row's right border is the next row's left border and an image's bottom border the next
     * image's top, which is all a tap reads past the edge when {@code padding < kernel}: the
     * kernel computes fewer wasted positions (8×8 images: 9·9 per image instead of 10·10).
     */
    private short[] sharedPlanes(Act a, int i0, int i1, int hs, int ws, int block, Scratch s, int tile) {
        int len = inChannels * block + kernel * (ws + 1) + tile;
        short[] src = s.src(len);
        java.util.Arrays.fill(src, 0, len, (short) a.zeroPoint());
        int h = a.h();
        int w = a.w();
        for (int ci = 0; ci < inChannels; ci++) {
            for (int img = i0; img < i1; img++) {
                for (int r = 0; r < h; r++) {
                    int from = ((img * inChannels + ci) * h + r) * w;
                    ConvKernel.widen(a.codes(), from, a.unsigned(), src, ci * block + ((img - i0) * hs + padding + r) * ws + padding, w);
                }
            }
        }
        return src;
    }

    /**
     * All weight rows as shorts in blocks of {@link ConvKernel#ROWS} rows, each block span-major
     * for spans of {@code span} taps ({@link ConvKernel#spanMajor}); rows past the last channel
     * (up to a whole block) are zero.
     */
    private short[] shortWeights(int span) {
        int k = weights.cols();
        int rows = ConvKernel.ROWS;
        int padded = ceilDiv(outChannels(), rows) * rows;
        byte[] b = new byte[outChannels() * k];
        weights.rows(0, outChannels(), b);
        short[] rowMajor = new short[padded * k];
        ConvKernel.widen(b, 0, false, rowMajor, 0, b.length);
        short[] w = new short[padded * k];
        for (int r0 = 0; r0 < padded; r0 += rows) {
            ConvKernel.spanMajor(rowMajor, r0, k, span, w, r0 * k);
        }
        return w;
    }

    /** All weight rows in the bit-serial tiles' layout ({@link BitSerial#weights}). */
    private int[] bitWeights() {
        byte[] b = new byte[outChannels() * weights.cols()];
        weights.rows(0, outChannels(), b);
        return BitSerial.weights(b, outChannels(), inChannels, kernel * kernel);
    }

    /** {@link #shortWeights} as floats: the layout {@link ConvKernel#tileFloat} reads. */
    private float[] floatWeights(int span) {
        short[] w = shortWeights(span);
        float[] f = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            f[i] = w[i];
        }
        return f;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
