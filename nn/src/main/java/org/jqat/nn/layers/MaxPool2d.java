package org.jqat.nn.layers;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/** Max pooling with a square window. */
public class MaxPool2d extends Module {
    public final int kernel;
    public final int stride;
    public final int padding;

    public MaxPool2d(int kernel, int stride, int padding) {
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
    }

    /** Stride equal to the kernel, no padding (PyTorch's default). */
    public MaxPool2d(int kernel) {
        this(kernel, kernel, 0);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.maxPool2d(x, kernel, stride, padding);
    }

    @Override
    protected String describe() {
        return "MaxPool2d(kernel=" + kernel + ", stride=" + stride + ", padding=" + padding + ")";
    }
}
