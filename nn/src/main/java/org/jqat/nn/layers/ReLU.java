package org.jqat.nn.layers;

import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/** {@code max(x, 0)}. */
public class ReLU extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.relu();
    }
}
