package org.jqat.nn.zoo;

import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
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
