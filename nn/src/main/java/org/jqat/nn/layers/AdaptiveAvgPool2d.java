package org.jqat.nn.layers;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/**
 * Adaptive average pooling to {@code output × output}. Output 1 is global average pooling; other
 * sizes are supported when they divide the input size (then it is plain average pooling), which
 * is the only case where PyTorch's adaptive windows are uniform.
 */
public class AdaptiveAvgPool2d extends Module {
    public final int output;

    public AdaptiveAvgPool2d(int output) {
        if (output < 1) {
            throw new IllegalArgumentException("output size must be positive: " + output);
        }
        this.output = output;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (output == 1) {
            return Functional.globalAvgPool2d(x);
        }
        int h = x.size(2);
        int w = x.size(3);
        if (h % output != 0 || w % output != 0) {
            throw new UnsupportedOperationException("AdaptiveAvgPool2d(" + output + ") needs input size divisible by it, got "
                    + h + "x" + w);
        }
        return Functional.avgPool2d(x, new int[] {h / output, w / output}, new int[] {h / output, w / output}, new int[] {0});
    }

    @Override
    protected String describe() {
        return "AdaptiveAvgPool2d(" + output + ")";
    }
}
