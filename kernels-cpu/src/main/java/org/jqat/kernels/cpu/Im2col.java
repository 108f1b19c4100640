package org.jqat.kernels.cpu;

import java.util.Arrays;
import org.jqat.core.backend.Conv2dShape;

/**
 * Lowers one image-group of an NCHW input to the {@code [cIn/g·kh·kw, outH·outW]} column matrix
 * (and back, accumulating, for the data gradient). Each column row is one (channel, ky, kx) tap;
 * the valid output range of a tap is computed once per row so the inner copy is a plain
 * {@code arraycopy} for stride 1 and padding becomes two fills.
 */
final class Im2col {
    private Im2col() {
    }

    /** First output column whose input column (ox·sw − pw + kx·dw) is ≥ 0. */
    static int validLo(int kOff, int pad, int stride) {
        int t = pad - kOff;
        return t <= 0 ? 0 : (t + stride - 1) / stride;
    }

    /** One past the last output column whose input column is < size. */
    static int validHi(int kOff, int pad, int stride, int size, int out) {
        int u = size - 1 + pad - kOff;
        return u < 0 ? 0 : Math.min(out, u / stride + 1);
    }

    static void im2col(Conv2dShape s, float[] x, int xOff, int channels, float[] col) {
        int h = s.h(), w = s.w(), oh = s.outH(), ow = s.outW(), ohw = oh * ow;
        int sh = s.strideH(), sw = s.strideW(), ph = s.padH(), pw = s.padW();
        int row = 0;
        for (int ci = 0; ci < channels; ci++) {
            int plane = xOff + ci * h * w;
            for (int ky = 0; ky < s.kh(); ky++) {
                int kyOff = ky * s.dilationH();
                for (int kx = 0; kx < s.kw(); kx++, row++) {
                    int kxOff = kx * s.dilationW();
                    int lo = validLo(kxOff, pw, sw);
                    int hi = Math.max(lo, validHi(kxOff, pw, sw, w, ow));
                    int base = row * ohw;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + kyOff;
                        int dst = base + oy * ow;
                        if (iy < 0 || iy >= h) {
                            Arrays.fill(col, dst, dst + ow, 0f);
                            continue;
                        }
                        if (lo > 0) {
                            Arrays.fill(col, dst, dst + lo, 0f);
                        }
                        if (hi < ow) {
                            Arrays.fill(col, dst + hi, dst + ow, 0f);
                        }
                        int src = plane + iy * w - pw + kxOff;
                        if (sw == 1) {
                            System.arraycopy(x, src + lo, col, dst + lo, hi - lo);
                        } else {
                            for (int ox = lo; ox < hi; ox++) {
                                col[dst + ox] = x[src + ox * sw];
                            }
                        }
                    }
                }
            }
        }
    }

    /** Adds the columns back onto a gx image-group that the caller zeroed. */
    static void col2im(Conv2dShape s, float[] col, float[] gx, int gxOff, int channels) {
        int h = s.h(), w = s.w(), oh = s.outH(), ow = s.outW(), ohw = oh * ow;
        int sh = s.strideH(), sw = s.strideW(), ph = s.padH(), pw = s.padW();
        int row = 0;
        for (int ci = 0; ci < channels; ci++) {
            int plane = gxOff + ci * h * w;
            for (int ky = 0; ky < s.kh(); ky++) {
                int kyOff = ky * s.dilationH();
                for (int kx = 0; kx < s.kw(); kx++, row++) {
                    int kxOff = kx * s.dilationW();
                    int lo = validLo(kxOff, pw, sw);
                    int hi = Math.max(lo, validHi(kxOff, pw, sw, w, ow));
                    int base = row * ohw;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sh - ph + kyOff;
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        int src = base + oy * ow;
                        int dst = plane + iy * w - pw + kxOff;
                        if (sw == 1) {
                            ElementwiseKernels.addInto(col, src + lo, gx, dst + lo, hi - lo);
                        } else {
                            for (int ox = lo; ox < hi; ox++) {
                                gx[dst + ox * sw] += col[src + ox];
                            }
                        }
                    }
                }
            }
        }
    }
}
