package org.jqat.nn.zoo;

import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.ReLU;
import org.jqat.nn.init.Init;

/** Shared pieces of the ResNets: torchvision's initialisation and the shortcut logic. */
final class ResNetInit {
    private ResNetInit() {
    }

    /** A bias-free convolution with Kaiming-normal fan-out init (torchvision's ResNet). */
    static Conv2d conv(int in, int out, int kernel, int stride, int padding, Rng rng) {
        Conv2d c = new Conv2d(in, out, kernel, stride, padding, false, rng);
        Init.kaimingNormalFanOut(c.weight(), rng);
        return c;
    }

    /** The option-B / torchvision downsample: {@code Sequential(conv1x1(stride), BN)}. */
    static Sequential downsample(int in, int out, int stride, float bnEps, float bnMomentum, Rng rng) {
        return new Sequential(conv(in, out, 1, stride, 0, rng), new BatchNorm2d(out, bnEps, bnMomentum));
    }

    /** The block's shortcut applied to x: downsample, option-A shortcut, or identity. */
    /**
     * {@code relu(block.bn(x) + residual)} (residual may be null), fused into one op when the
     * block's {@code bn} and {@code relu} children are the plain {@link BatchNorm2d} and
     * {@link ReLU}; a replaced child (a subclass, another activation) runs as its own module.
     */
    static Tensor bnRelu(Module block, String bn, Tensor x, Tensor residual) {
        Module norm = block.child(bn), relu = block.child("relu");
        if (norm.getClass() == BatchNorm2d.class && relu.getClass() == ReLU.class) {
            return ((BatchNorm2d) norm).forwardRelu(x, residual);
        }
        Tensor y = norm.forward(x);
        return relu.forward(residual == null ? y : y.add(residual));
    }

    static Tensor shortcut(Module block, Tensor x) {
        if (block.hasChild("downsample")) {
            return block.child("downsample").forward(x);
        }
        if (block.hasChild("shortcut")) {
            return block.child("shortcut").forward(x);
        }
        return x;
    }
}
