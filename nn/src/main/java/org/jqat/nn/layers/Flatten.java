package org.jqat.nn.layers;

import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/** Flattens every dimension after the batch one: {@code [N, ...] -> [N, prod(...)]}. */
public class Flatten extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.flatten(1, -1);
    }
}
