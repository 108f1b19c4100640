package org.jqat.kernels.cpu;

import java.util.Arrays;
import org.jqat.core.backend.Conv2dShape;

/**
 * NCHW convolution on the cpu backend, routed per layer: the 3×3 stride-1 layers where it measured
 * faster run {@link WinogradConv} (forward and data gradient, see {@link WinogradConv#applies}),
 * other spatial kernels {@link DirectConv}
 * (no im2col matrix), depthwise layers {@link DepthwiseConv}, and 1×1 layers per-image GEMMs
 * (stride-1 unpadded ones multiply the input directly, others go through {@link Im2col} into a
 * per-thread column buffer). The batch is the parallel axis of the GEMM path (each image's GEMM
 * runs serially on one worker, so small per-image matrices never pay a thread hand-off).
 */
final class Conv2dKernels {
    private Conv2dKernels() {
    }

    static boolean pointwise(Conv2dShape s) {
        return s.kh() == 1 && s.kw() == 1 && s.strideH() == 1 && s.strideW() == 1 && s.padH() == 0 && s.padW() == 0;
    }

    /**
     * {@code -Djqat.conv=im2col} keeps every layer on the im2col + GEMM path (for comparison
     * benchmarks); by default spatial kernels run {@link DirectConv}.
     */
    static final boolean DIRECT = !"im2col".equals(System.getProperty("jqat.conv", "").trim());

    /**
     * Layers {@link DirectConv} runs: every spatial kernel except depthwise ones. 1×1 kernels stay
     * on GEMM: their "im2col" is the input itself (stride 1) or a subsampled copy (stride 2),
     * cheaper than building padded phase planes (ResNet-20 shortcut, batch 32, one thread:
     * 0.22 ms forward through im2col against 0.75 ms direct).
     */
    static boolean direct(Conv2dShape s) {
        return DIRECT && !depthwise(s) && s.kh() * s.kw() > 1;
    }

    static boolean depthwise(Conv2dShape s) {
        return s.groups() > 1 && s.groups() == s.cIn() && s.groups() == s.cOut();
    }

    static void forward(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y) {
        forwardFused(s, x, w, false, bias, null, false, y);
    }

    /**
     * The convolution of the input fake-quantized by q, quantized as the kernel lays the input
     * out; for the layers {@link #direct} runs (others take the backend's unfused default).
     */
    static void forwardQuantized(Conv2dShape s, float[] x, float[] w, float[] bias, DirectConv.InputQuant q, float[] y) {
        if (WinogradConv.applies(s, false)) {
            WinogradConv.forward(s, x, w, bias, y, q, null, false);
        } else {
            DirectConv.forward(s, x, w, bias, y, q);
        }
    }

    /**
     * {@code y = relu?(conv + bias + residual)} (residual may be null) with the epilogue applied
     * while each image's output is still in cache: in the direct kernel's row stores, after the
     * per-image GEMM otherwise. Depthwise layers run the convolution, then one pass when there is an epilogue.
     */
    static void forwardFused(Conv2dShape s, float[] x, float[] w, boolean constantWeights, float[] bias, float[] residual, boolean relu,
                             float[] y) {
        if (WinogradConv.applies(s, false)) {
            WinogradConv.forward(s, x, w, bias, y, null, residual, relu);
        } else if (direct(s)) {
            DirectConv.forward(s, x, w, constantWeights, bias, y, null, residual, relu);
        } else if (depthwise(s)) {
            DepthwiseConv.forward(s, x, w, bias, y);
            if (residual == null && !relu) {
                return;
            }
            int total = s.n() * s.cOut() * s.outH() * s.outW();
            Parallel.forRange(total, ElementwiseKernels.GRAIN, (lo, hi) ->
                    ElementwiseKernels.biasResidualRelu(y, lo, 0f, residual, lo, relu, y, lo, hi - lo));
        } else {
            forwardIm2col(s, x, w, bias, y, residual, relu);
        }
    }

    static void forwardIm2col(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y) {
        forwardIm2col(s, x, w, bias, y, null, false);
    }

    /** Per-image im2col + GEMM (1×1 stride-1 layers skip the im2col), then the epilogue of {@link #forwardFused}. */
    static void forwardIm2col(Conv2dShape s, float[] x, float[] w, float[] bias, float[] y, float[] residual, boolean relu) {
        int hw = s.h() * s.w(), ohw = s.outH() * s.outW();
        int cig = s.cInPerGroup(), cog = s.cOutPerGroup(), kk = cig * s.kh() * s.kw();
        boolean matmul = pointwise(s);
        WorkerPool.SHARED.run(s.n(), n -> {
            float[] col = matmul ? null : Scratch.get(0, kk * ohw);
            for (int g = 0; g < s.groups(); g++) {
                int xOff = (n * s.cIn() + g * cig) * hw;
                int yOff = (n * s.cOut() + g * cog) * ohw;
                float beta = 0f;
                if (bias != null) {
                    for (int co = 0; co < cog; co++) {
                        Arrays.fill(y, yOff + co * ohw, yOff + (co + 1) * ohw, bias[g * cog + co]);
                    }
                    beta = 1f;
                }
                if (matmul) {
                    Gemm.serial(false, false, cog, ohw, cig, 1f, w, g * cog * kk, kk, x, xOff, ohw, beta, y, yOff, ohw);
                } else {
                    Im2col.im2col(s, x, xOff, cig, col);
                    Gemm.serial(false, false, cog, ohw, kk, 1f, w, g * cog * kk, kk, col, 0, ohw, beta, y, yOff, ohw);
                }
                if (residual != null || relu) {
                    ElementwiseKernels.biasResidualRelu(y, yOff, 0f, residual, yOff, relu, y, yOff, cog * ohw);
                }
            }
        });
    }

    static void backwardData(Conv2dShape s, float[] gy, float[] w, float[] gx) {
        if (depthwise(s)) {
            DepthwiseConv.backwardData(s, gy, w, gx);
            return;
        }
        if (WinogradConv.applies(s, true)) {
            WinogradConv.backwardData(s, gy, w, gx);
            return;
        }
        if (direct(s)) {
            DirectConv.backwardData(s, gy, w, gx);
            return;
        }
        backwardDataIm2col(s, gy, w, gx);
    }

    static void backwardDataIm2col(Conv2dShape s, float[] gy, float[] w, float[] gx) {
        int hw = s.h() * s.w(), ohw = s.outH() * s.outW();
        int cig = s.cInPerGroup(), cog = s.cOutPerGroup(), kk = cig * s.kh() * s.kw();
        boolean matmul = pointwise(s);
        WorkerPool.SHARED.run(s.n(), n -> {
            float[] col = matmul ? null : Scratch.get(0, kk * ohw);
            for (int g = 0; g < s.groups(); g++) {
                int gxOff = (n * s.cIn() + g * cig) * hw;
                int gyOff = (n * s.cOut() + g * cog) * ohw;
                if (matmul) {
                    Gemm.serial(true, false, cig, ohw, cog, 1f, w, g * cog * kk, kk, gy, gyOff, ohw, 0f, gx, gxOff, hw);
                } else {
                    Gemm.serial(true, false, kk, ohw, cog, 1f, w, g * cog * kk, kk, gy, gyOff, ohw, 0f, col, 0, ohw);
                    Arrays.fill(gx, gxOff, gxOff + cig * hw, 0f);
                    Im2col.col2im(s, col, gx, gxOff, cig);
                }
            }
        });
    }

    /**
     * The weight gradient sums over the batch, so the batch is cut into fixed {@link BatchSlices},
     * each accumulating into its own partial; partials are then added in slice order, which keeps
     * the result reproducible.
     */
    static void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw) {
        if (depthwise(s)) {
            DepthwiseConv.backwardWeight(s, x, gy, gw);
            return;
        }
        if (direct(s)) {
            DirectConv.backwardWeight(s, x, gy, gw);
            return;
        }
        backwardWeightIm2col(s, x, gy, gw);
    }

    static void backwardWeightIm2col(Conv2dShape s, float[] x, float[] gy, float[] gw) {
        int size = s.weightSize();
        if (s.n() == 0) {
            Arrays.fill(gw, 0, size, 0f);
            return;
        }
        int hw = s.h() * s.w(), ohw = s.outH() * s.outW();
        int cig = s.cInPerGroup(), cog = s.cOutPerGroup(), kk = cig * s.kh() * s.kw();
        boolean matmul = pointwise(s);
        BatchSlices.sum(s.n(), s.outH() * s.outW(), BatchSlices.MIN_POSITIONS, size, gw, (lo, hi, acc, accOff) -> {
            float[] col = matmul ? null : Scratch.get(0, kk * ohw);
            for (int n = lo; n < hi; n++) {
                float beta = n == lo ? 0f : 1f;
                for (int g = 0; g < s.groups(); g++) {
                    int xOff = (n * s.cIn() + g * cig) * hw;
                    int gyOff = (n * s.cOut() + g * cog) * ohw;
                    int wOff = accOff + g * cog * kk;
                    if (matmul) {
                        Gemm.serial(false, true, cog, cig, ohw, 1f, gy, gyOff, ohw, x, xOff, hw, beta, acc, wOff, kk);
                    } else {
                        Im2col.im2col(s, x, xOff, cig, col);
                        Gemm.serial(false, true, cog, kk, ohw, 1f, gy, gyOff, ohw, col, 0, ohw, beta, acc, wOff, kk);
                    }
                }
            }
        });
    }
}
