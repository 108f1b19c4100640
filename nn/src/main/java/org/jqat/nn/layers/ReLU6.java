package org.jqat.nn.layers;

import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/** {@code clamp(x, 0, 6)}, as MobileNet's activation. */
public class ReLU6 extends Module {
    @Override
    public Tensor forward(Tensor x) {
        return x.clamp(0f, 6f);
    }
}
