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
 * where {@link Accumulation} proves it exact, else int32.
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

    /** Per-thread buffers reused between tiles, layers and calls (each part runs on one thread). */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static final class Scratch {
        short[] src = new short[0];
        int[] off = new int[0];
        short[] w = new short[0];
        byte[] wb = new byte[0];
        int[] acc = new int[0];

        short[] src(int n) {
            return src.length >= n ? src : (src = new short[n]);
        }

        int[] off(int n) {
            return off.length >= n ? off : (off = new int[n]);
        }

        short[] w(int n) {
            return w.length >= n ? w : (w = new short[n]);
        }

        byte[] wb(int n) {
            return wb.length >= n ? wb : (wb = new byte[n]);
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
        this.accumulation = Accumulation.of(-weights.maxAbs(), weights.maxAbs(), inMin, inMax);
        if ((long) accumulation.maxProduct() * weights.cols() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("integer inference: " + name + " sums " + weights.cols() + " products up to "
                    + accumulation.maxProduct() + ", which can overflow int32");
        }
    }

    int outChannels() {
        return weights.rows();
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
        if (simd) {
            forwardSimd(a, out);
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
            out.finish(co, acc, co * p, p, false);
            for (int y = 0; y < oh; y++) {
                out.store(img, co, y, 0, ow, acc, co * p + y * ow);
            }
        }
    }

    private void forwardSimd(Act a, Epilogue out) {
        int n = a.n();
        int oh = outH(a);
        int ow = outW(a);
        int p = oh * ow;
        int tile = ConvKernel.tile();
        int rows = ConvKernel.ROWS;
        int threads = Threads.count();
        boolean direct = stride == 1;
        // images per part: one for padded planes; for gathered columns enough to fill a tile, leaving a part per thread
        int perPart = direct ? 1 : Math.max(1, Math.min(ceilDiv(tile, p), ceilDiv(n, threads)));
        int imageParts = ceilDiv(n, perPart);
        int blocks = ceilDiv(outChannels(), rows);
        // fewer image parts than twice the threads (batch 1): split the output channels too
        int perGroup = ceilDiv(blocks, Math.max(1, Math.min(blocks, ceilDiv(2 * threads, imageParts))));
        int groups = ceilDiv(blocks, perGroup);
        Threads.parallelFor(imageParts * groups, part -> {
            int i0 = part / groups * perPart;
            int i1 = Math.min(n, i0 + perPart);
            int b0 = part % groups * perGroup;
            int b1 = Math.min(blocks, b0 + perGroup);
            Scratch s = SCRATCH.get();
            int k = weights.cols();
            int[] off = s.off(k);
            short[] src;
            int pitch;
            int gridLen;
            if (direct) {
                pitch = a.w() + 2 * padding;
                src = padded(a, i0, s, tile);
                int plane = (a.h() + 2 * padding) * pitch;
                for (int ci = 0, t = 0; ci < inChannels; ci++) {
                    for (int kh = 0; kh < kernel; kh++) {
                        for (int kw = 0; kw < kernel; kw++) {
                            off[t++] = ci * plane + kh * pitch + kw;
                        }
                    }
                }
                gridLen = oh * pitch;
            } else {
                pitch = ow;
                gridLen = (i1 - i0) * p;
                src = gathered(a, i0, i1, s, tile);
                for (int t = 0; t < k; t++) {
                    off[t] = t * gridLen;
                }
            }
            int rowsTotal = (i1 - i0) * oh;
            short[] w = weightRows(b0 * rows, (b1 - b0) * rows, s);
            int[] acc = s.acc(rows * tile);
            for (int b = b0; b < b1; b++) {
                int row0 = (b - b0) * rows;
                for (int o0 = 0; o0 < gridLen; o0 += tile) {
                    if (accumulation.shortLanes()) {
                        ConvKernel.tileShort(w, row0, k, src, off, o0, accumulation.chunk(), acc);
                    } else {
                        ConvKernel.tileInt(w, row0, k, src, off, o0, acc);
                    }
                    for (int r = 0; r < rows && b * rows + r < outChannels(); r++) {
                        int co = b * rows + r;
                        out.finish(co, acc, r * tile, tile, true);
                        // grid position o = row·pitch + x; outputs are the x < ow of rows < rowsTotal
                        for (int row = o0 / pitch; row < rowsTotal && row * pitch < o0 + tile; row++) {
                            int x0 = Math.max(o0, row * pitch) - row * pitch;
                            int x1 = Math.min(ow, o0 + tile - row * pitch);
                            if (x1 > x0) {
                                out.store(i0 + row / oh, co, row % oh, x0, x1 - x0, acc, r * tile + row * pitch + x0 - o0);
                            }
                        }
                    }
                }
            }
        });
    }

    /** Image {@code img} as padded code planes {@code [c][h+2p][w+2p]} of shorts, border = zero point, plus a tile of slack. */
    private short[] padded(Act a, int img, Scratch s, int tile) {
        int pw = a.w() + 2 * padding;
        int plane = (a.h() + 2 * padding) * pw;
        int len = a.c() * plane + tile + kernel;
        short[] src = s.src(len);
        java.util.Arrays.fill(src, 0, len, (short) a.zeroPoint());
        byte[] codes = a.codes();
        int mask = a.unsigned() ? 0xFF : -1;
        for (int ci = 0; ci < a.c(); ci++) {
            for (int y = 0; y < a.h(); y++) {
                int from = ((img * a.c() + ci) * a.h() + y) * a.w();
                int to = ci * plane + (y + padding) * pw + padding;
                for (int x = 0; x < a.w(); x++) {
                    src[to + x] = (short) (codes[from + x] & mask);
                }
            }
        }
        return src;
    }

    /** im2col columns of images {@code i0 .. i1−1} side by side: row t = (ci·k + kh)·k + kw, column (image, y, x); padding = zero point. */
    private short[] gathered(Act a, int i0, int i1, Scratch s, int tile) {
        int oh = outH(a);
        int ow = outW(a);
        int p = oh * ow;
        int cols = (i1 - i0) * p;
        int len = weights.cols() * cols + tile;
        short[] src = s.src(len);
        java.util.Arrays.fill(src, weights.cols() * cols, len, (short) 0);
        byte[] codes = a.codes();
        int mask = a.unsigned() ? 0xFF : -1;
        short pad = (short) a.zeroPoint();
        for (int ci = 0; ci < a.c(); ci++) {
            for (int kh = 0; kh < kernel; kh++) {
                for (int kw = 0; kw < kernel; kw++) {
                    int row = ((ci * kernel + kh) * kernel + kw) * cols;
                    for (int img = i0; img < i1; img++) {
                        int base = (img * a.c() + ci) * a.h() * a.w();
                        int o = row + (img - i0) * p;
                        for (int y = 0; y < oh; y++) {
                            int iy = y * stride - padding + kh;
                            for (int x = 0; x < ow; x++) {
                                int ix = x * stride - padding + kw;
                                src[o++] = iy >= 0 && iy < a.h() && ix >= 0 && ix < a.w() ? (short) (codes[base + iy * a.w() + ix] & mask) : pad;
                            }
                        }
                    }
                }
            }
        }
        return src;
    }

    /** Weight rows {@code r0 .. r0+count−1} unpacked to shorts; rows past the last output channel are zero. */
    private short[] weightRows(int r0, int count, Scratch s) {
        int k = weights.cols();
        int real = Math.max(0, Math.min(count, outChannels() - r0));
        byte[] b = s.wb(real * k);
        weights.rows(r0, real, b);
        short[] w = s.w(count * k);
        for (int i = 0; i < real * k; i++) {
            w[i] = b[i];
        }
        java.util.Arrays.fill(w, real * k, count * k, (short) 0);
        return w;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
