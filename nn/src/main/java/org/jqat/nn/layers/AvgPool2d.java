package org.jqat.nn.layers;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/** Average pooling with a square window (padding counted in the divisor, as PyTorch's default). */
public class AvgPool2d extends Module {
    public final int kernel;
    public final int stride;
    public final int padding;

    public AvgPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    public AvgPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.avgPool2d(x, kernel, stride, padding);
    }

    @Override
    protected String describe() {
        return "AvgPool2d(kernel=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
