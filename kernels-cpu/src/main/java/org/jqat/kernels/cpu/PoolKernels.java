package org.jqat.kernels.cpu;

import java.util.Arrays;
import org.jqat.core.backend.Pool2dShape;

/**
 * Max and average pooling, parallel over planes (windows never cross planes, so backward
 * scatters stay private to a plane). Windows are tiny (2×2, 3×3), so the loops are scalar; the
 * gain over the oracle is the plane parallelism and hoisting the clipped window bounds.
 */
final class PoolKernels {
    private PoolKernels() {
    }

    /** Flat index of the first maximum (NaN wins) of one window; same rule as the oracle. */
    private static int maxIndex(Pool2dShape s, float[] in, int plane, int oy, int ox) {
        int y0 = Math.max(0, oy * s.strideH() - s.padH()), y1 = Math.min(s.h(), oy * s.strideH() - s.padH() + s.kh());
        int x0 = Math.max(0, ox * s.strideW() - s.padW()), x1 = Math.min(s.w(), ox * s.strideW() - s.padW() + s.kw());
        int best = -1;
        float bv = 0f;
        for (int iy = y0; iy < y1; iy++) {
            int row = (plane * s.h() + iy) * s.w();
            for (int ix = x0; ix < x1; ix++) {
                float v = in[row + ix];
                if (best < 0 || v > bv || (Float.isNaN(v) && !Float.isNaN(bv))) {
                    best = row + ix;
                    bv = v;
                }
            }
        }
        return best;
    }

    static void maxForward(Pool2dShape s, float[] x, float[] y) {
        int oh = s.outH(), ow = s.outW();
        WorkerPool.SHARED.run(s.planes(), p -> {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    y[(p * oh + oy) * ow + ox] = x[maxIndex(s, x, p, oy, ox)];
                }
            }
        });
    }

    static void maxBackward(Pool2dShape s, float[] x, float[] gy, float[] gx) {
        int oh = s.outH(), ow = s.outW(), hw = s.h() * s.w();
        WorkerPool.SHARED.run(s.planes(), p -> {
            Arrays.fill(gx, p * hw, (p + 1) * hw, 0f);
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    gx[maxIndex(s, x, p, oy, ox)] += gy[(p * oh + oy) * ow + ox];
                }
            }
        });
    }

    /** PyTorch's count_include_pad=True divisor: the window clipped to the padded input. */
    private static int divisor(Pool2dShape s, int oy, int ox) {
        int y0 = oy * s.strideH() - s.padH(), x0 = ox * s.strideW() - s.padW();
        int y1 = Math.min(y0 + s.kh(), s.h() + s.padH()), x1 = Math.min(x0 + s.kw(), s.w() + s.padW());
        return (y1 - y0) * (x1 - x0);
    }

    static void avgForward(Pool2dShape s, float[] x, float[] y) {
        int oh = s.outH(), ow = s.outW();
        WorkerPool.SHARED.run(s.planes(), p -> {
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(0, oy * s.strideH() - s.padH()), y1 = Math.min(s.h(), oy * s.strideH() - s.padH() + s.kh());
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(0, ox * s.strideW() - s.padW()), x1 = Math.min(s.w(), ox * s.strideW() - s.padW() + s.kw());
                    double acc = 0;
                    for (int iy = y0; iy < y1; iy++) {
                        int row = (p * s.h() + iy) * s.w();
                        for (int ix = x0; ix < x1; ix++) {
                            acc += x[row + ix];
                        }
                    }
                    y[(p * oh + oy) * ow + ox] = (float) (acc / divisor(s, oy, ox));
                }
            }
        });
    }

    static void avgBackward(Pool2dShape s, float[] gy, float[] gx) {
        int oh = s.outH(), ow = s.outW(), hw = s.h() * s.w();
        WorkerPool.SHARED.run(s.planes(), p -> {
            Arrays.fill(gx, p * hw, (p + 1) * hw, 0f);
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(0, oy * s.strideH() - s.padH()), y1 = Math.min(s.h(), oy * s.strideH() - s.padH() + s.kh());
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(0, ox * s.strideW() - s.padW()), x1 = Math.min(s.w(), ox * s.strideW() - s.padW() + s.kw());
                    float share = gy[(p * oh + oy) * ow + ox] / divisor(s, oy, ox);
                    for (int iy = y0; iy < y1; iy++) {
                        int row = (p * s.h() + iy) * s.w();
                        for (int ix = x0; ix < x1; ix++) {
                            gx[row + ix] += share;
                        }
                    }
                }
            }
        });
    }
}
