package org.jqat.core.backend;

/**
 * Sizes of a 2-D pooling over NCHW input {@code [n, c, h, w]} (n and c are folded into
 * {@code planes}). Output sizes use floor mode, as PyTorch's default.
 */
public record Pool2dShape(int planes, int h, int w, int kh, int kw,
                          int strideH, int strideW, int padH, int padW) {

    public Pool2dShape {
        if (planes < 0 || h <= 0 || w <= 0 || kh <= 0 || kw <= 0 || strideH <= 0 || strideW <= 0) {
            throw new IllegalArgumentException("pool2d: sizes and strides must be positive: " + this);
        }
        if (padH < 0 || padW < 0 || 2 * padH > kh || 2 * padW > kw) {
            throw new IllegalArgumentException("pool2d: padding must be non-negative and at most half the kernel: " + this);
        }
    }

    public int outH() {
        return (h + 2 * padH - kh) / strideH + 1;
    }

    public int outW() {
        return (w + 2 * padW - kw) / strideW + 1;
    }
}
