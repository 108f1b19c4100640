package org.jqat.qat.infer;

/**
 * A quantized convolution (or linear layer: 1×1 kernel over a 1×1 image) on activation codes:
 * im2col (padding with the input zero point), then the int GEMM with the weight codes; returns the
 * raw int32 accumulators {@code [outChannels][oh·ow]} = Σ code_in·code_w. The zero-point
 * correction and all scales live in the {@link Requant} that follows.
 */
final class IntConv {
    final String name;
    final WeightCodes weights;
    final int inChannels;
    final int kernel;
    final int stride;
    final int padding;
    final boolean simd;

    IntConv(String name, WeightCodes weights, int inChannels, int kernel, int stride, int padding, boolean simd) {
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

    int[] accumulate(Act in) {
        in.expect("codes", name);
        if (in.c() != inChannels) {
            throw new IllegalArgumentException("integer inference: " + name + " expects " + inChannels + " channels, got " + in.c());
        }
        int oh = outH(in);
        int ow = outW(in);
        int p = oh * ow;
        byte[] col;
        if (kernel == 1 && stride == 1 && padding == 0) {
            col = in.codes();
        } else {
            col = new byte[weights.cols() * p];
            if (simd) {
                Im2col.im2col(in.codes(), in.c(), in.h(), in.w(), kernel, stride, padding, (byte) in.zeroPoint(), col);
            } else {
                Im2col.im2colScalar(in.codes(), in.c(), in.h(), in.w(), kernel, stride, padding, (byte) in.zeroPoint(), col);
            }
        }
        int[] acc = new int[outChannels() * p];
        if (simd) {
            IntGemm.gemm(weights, col, in.unsigned(), p, acc);
        } else {
            IntGemm.gemmScalar(weights, col, in.unsigned(), p, acc);
        }
        return acc;
    }
}
