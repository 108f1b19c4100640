package org.jqat.nn.zoo;

import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.ReLU;

/**
 * torchvision's bottleneck block (ResNet v1.5: the stride is on the 3×3 convolution):
 * 1×1 reduce, 3×3, 1×1 expand (×4), plus the shortcut ({@code downsample} when shapes change).
 */
public final class Bottleneck extends Module {
    public static final int EXPANSION = 4;

    public Bottleneck(int inPlanes, int planes, int stride, Module downsample, float bnEps, float bnMomentum, Rng rng) {
        registerModule("conv1", ResNetInit.conv(inPlanes, planes, 1, 1, 0, rng));
        registerModule("bn1", new BatchNorm2d(planes, bnEps, bnMomentum));
        registerModule("conv2", ResNetInit.conv(planes, planes, 3, stride, 1, rng));
        registerModule("bn2", new BatchNorm2d(planes, bnEps, bnMomentum));
        registerModule("conv3", ResNetInit.conv(planes, planes * EXPANSION, 1, 1, 0, rng));
        registerModule("bn3", new BatchNorm2d(planes * EXPANSION, bnEps, bnMomentum));
        registerModule("relu", new ReLU());
        if (downsample != null) {
            registerModule("downsample", downsample);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor out = ResNetInit.bnRelu(this, "bn1", child("conv1").forward(x), null);
        out = ResNetInit.bnRelu(this, "bn2", child("conv2").forward(out), null);
        return ResNetInit.bnRelu(this, "bn3", child("conv3").forward(out), ResNetInit.shortcut(this, x));
    }
}
