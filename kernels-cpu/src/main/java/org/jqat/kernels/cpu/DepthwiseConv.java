package org.jqat.kernels.cpu;

import java.util.Arrays;
import org.jqat.core.backend.Conv2dShape;

/**
 * Depthwise convolution (groups == cIn == cOut): each plane meets only its own kh×kw filter, so
 * a GEMM would be 1×(kh·kw) and waste the micro-kernel. Instead each tap adds a scaled input row
 * segment onto an output row ({@link ElementwiseKernels#axpy} when stride is 1). Planes are the
 * parallel axis; the weight gradient is parallel over channels so its batch sum stays in order.
 */
final class DepthwiseConv {
    private DepthwiseConv() {
    }

    static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y) {
        int c = s.cIn(), hw = s.h() * s.w(), oh = s.outH(), ow = s.outW(), ohw = oh * ow, taps = s.kh() * s.kw();
        WorkerPool.SHARED.run(s.n() * c, plane -> {
            int ch = plane % c, in = plane * hw, out = plane * ohw;
            Arrays.fill(y, out, out + ohw, bias == null ? 0f : bias[ch]);
            for (int ky = 0; ky < s.kh(); ky++) {
                for (int kx = 0; kx < s.kw(); kx++) {
                    float wv = w[ch * taps + ky * s.kw() + kx];
                    int kxOff = kx * s.dilationW();
                    int lo = Im2col.validLo(kxOff, s.padW(), s.strideW());
                    int hi = Im2col.validHi(kxOff, s.padW(), s.strideW(), s.w(), ow);
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                        if (iy < 0 || iy >= s.h() || hi <= lo) {
                            continue;
                        }
                        int src = in + iy * s.w() - s.padW() + kxOff, dst = out + oy * ow;
                        if (s.strideW() == 1) {
                            ElementwiseKernels.axpy(wv, x, src + lo, y, dst + lo, hi - lo);
                        } else {
                            for (int ox = lo; ox < hi; ox++) {
                                y[dst + ox] += wv * x[src + ox * s.strideW()];
                            }
                        }
                    }
                }
            }
        });
    }

    static void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx) {
        int c = s.cIn(), hw = s.h() * s.w(), oh = s.outH(), ow = s.outW(), ohw = oh * ow, taps = s.kh() * s.kw();
        WorkerPool.SHARED.run(s.n() * c, plane -> {
            int ch = plane % c, in = plane * hw, out = plane * ohw;
            Arrays.fill(gx, in, in + hw, 0f);
            for (int ky = 0; ky < s.kh(); ky++) {
                for (int kx = 0; kx < s.kw(); kx++) {
                    float wv = w[ch * taps + ky * s.kw() + kx];
                    int kxOff = kx * s.dilationW();
                    int lo = Im2col.validLo(kxOff, s.padW(), s.strideW());
                    int hi = Im2col.validHi(kxOff, s.padW(), s.strideW(), s.w(), ow);
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                        if (iy < 0 || iy >= s.h() || hi <= lo) {
                            continue;
                        }
                        int dst = in + iy * s.w() - s.padW() + kxOff, src = out + oy * ow;
                        if (s.strideW() == 1) {
                            ElementwiseKernels.axpy(wv, gy, src + lo, gx, dst + lo, hi - lo);
                        } else {
                            for (int ox = lo; ox < hi; ox++) {
                                gx[dst + ox * s.strideW()] += wv * gy[src + ox];
                            }
                        }
                    }
                }
            }
        });
    }

    static void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw) {
        int c = s.cIn(), hw = s.h() * s.w(), oh = s.outH(), ow = s.outW(), ohw = oh * ow, taps = s.kh() * s.kw();
        WorkerPool.SHARED.run(c, ch -> {
            for (int ky = 0; ky < s.kh(); ky++) {
                for (int kx = 0; kx < s.kw(); kx++) {
                    int kxOff = kx * s.dilationW();
                    int lo = Im2col.validLo(kxOff, s.padW(), s.strideW());
                    int hi = Im2col.validHi(kxOff, s.padW(), s.strideW(), s.w(), ow);
                    double acc = 0;
                    for (int n = 0; n < s.n(); n++) {
                        int in = (n * c + ch) * hw, out = (n * c + ch) * ohw;
                        for (int oy = 0; oy < oh; oy++) {
                            int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                            if (iy < 0 || iy >= s.h() || hi <= lo) {
                                continue;
                            }
                            int src = in + iy * s.w() - s.padW() + kxOff, g = out + oy * ow;
                            acc += Reductions.dot(gy, g + lo, 1, x, src + lo * s.strideW(), s.strideW(), hi - lo);
                        }
                    }
                    gw[ch * taps + ky * s.kw() + kx] = (float) acc;
                }
            }
        });
    }
}
