package org.jqat.core.backend;

/**
 * Every size a 2-D convolution kernel needs, validated once by the op so kernels can trust it.
 * Input is NCHW {@code [n, cIn, h, w]}, weight {@code [cOut, cIn/groups, kh, kw]}, output
 * {@code [n, cOut, outH, outW]}.
 */
public record Conv2dShape(int n, int cIn, int h, int w, int cOut, int kh, int kw,
                          int strideH, int strideW, int padH, int padW,
                          int dilationH, int dilationW, int groups) {

    public Conv2dShape {
        if (n < 0 || cIn <= 0 || h <= 0 || w <= 0 || cOut <= 0 || kh <= 0 || kw <= 0) {
            throw new IllegalArgumentException("conv2d: sizes must be positive: " + this);
        }
        if (strideH <= 0 || strideW <= 0 || dilationH <= 0 || dilationW <= 0 || padH < 0 || padW < 0) {
            throw new IllegalArgumentException("conv2d: stride and dilation must be positive, padding non-negative: " + this);
        }
        if (groups <= 0 || cIn % groups != 0 || cOut % groups != 0) {
            throw new IllegalArgumentException("conv2d: groups=" + groups + " must divide in_channels=" + cIn
                    + " and out_channels=" + cOut);
        }
    }

    public int outH() {
        return (h + 2 * padH - dilationH * (kh - 1) - 1) / strideH + 1;
    }

    public int outW() {
        return (w + 2 * padW - dilationW * (kw - 1) - 1) / strideW + 1;
    }

    public int cInPerGroup() {
        return cIn / groups;
    }

    public int cOutPerGroup() {
        return cOut / groups;
    }

    /** Elements of one weight tensor. */
    public int weightSize() {
        return cOut * cInPerGroup() * kh * kw;
    }
}
