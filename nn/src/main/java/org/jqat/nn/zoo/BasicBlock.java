package org.jqat.nn.zoo;

import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.ReLU;

/**
 * The two-convolution residual block of ResNet-18/34 and the CIFAR ResNets:
 * {@code relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))}. The shortcut is the identity,
 * a {@code downsample} module (1×1 conv + BN, option B, torchvision's key names) or a
 * parameter-free {@code shortcut} (option A); whichever is registered is used.
 */
public final class BasicBlock extends Module {
    public static final int EXPANSION = 1;

    /**
     * @param shortcut null for identity; otherwise registered as {@code downsample} when it has
     *                 parameters (option B) and as {@code shortcut} when it has none (option A)
     */
    public BasicBlock(int inPlanes, int planes, int stride, Module shortcut, float bnEps, float bnMomentum, Rng rng) {
        registerModule("conv1", ResNetInit.conv(inPlanes, planes, 3, stride, 1, rng));
        registerModule("bn1", new BatchNorm2d(planes, bnEps, bnMomentum));
        registerModule("relu", new ReLU());
        registerModule("conv2", ResNetInit.conv(planes, planes, 3, 1, 1, rng));
        registerModule("bn2", new BatchNorm2d(planes, bnEps, bnMomentum));
        if (shortcut != null) {
            registerModule(shortcut.parameterCount() > 0 ? "downsample" : "shortcut", shortcut);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        Tensor out = ResNetInit.bnRelu(this, "bn1", child("conv1").forward(x), null);
        return ResNetInit.bnRelu(this, "bn2", child("conv2").forward(out), ResNetInit.shortcut(this, x));
    }
}
