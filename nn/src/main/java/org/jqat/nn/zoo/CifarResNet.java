package org.jqat.nn.zoo;

import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Rng;
import org.jqat.nn.Module;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.AdaptiveAvgPool2d;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.ReLU;

/**
 * He et al.'s CIFAR ResNet of depth 6n+2 (20, 32, 44, 56, 110, ...): a 3×3 stem of 16 channels,
 * three stages of n basic blocks with 16, 32 and 64 channels (stride 2 at the start of stages
 * 2 and 3), global average pooling and a linear classifier. Keys: {@code conv1}, {@code bn1},
 * {@code layer1..3}, {@code fc}. Where the shape changes the shortcut is option A
 * (zero-padding, no parameters) or option B ({@code downsample}: 1×1 conv + BN).
 */
public final class CifarResNet extends BlockModel {
    /** Shortcut kind where the shape changes. */
    public enum Shortcut {
        /** Strided subsampling plus zero channels (He et al. 2016 on CIFAR). */
        A,
        /** 1×1 convolution + BatchNorm ({@code downsample}). */
        B
    }

    public final int depth;
    public final int classes;
    public final Shortcut shortcut;

    public CifarResNet(int depth, int classes, Shortcut shortcut, float bnEps, float bnMomentum, Rng rng) {
        this(3, depth, classes, shortcut, bnEps, bnMomentum, rng);
    }

    /** With {@code inChannels} input channels (3 for CIFAR, 1 for grey images). */
    public CifarResNet(int inChannels, int depth, int classes, Shortcut shortcut, float bnEps, float bnMomentum, Rng rng) {
        if (depth < 8 || (depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("CIFAR ResNet depth must be 6n+2 with n >= 1, got " + depth);
        }
        this.depth = depth;
        this.classes = classes;
        this.shortcut = shortcut;
        int n = (depth - 2) / 6;
        registerModule("conv1", ResNetInit.conv(inChannels, 16, 3, 1, 1, rng));
        registerModule("bn1", new BatchNorm2d(16, bnEps, bnMomentum));
        registerModule("relu", new ReLU());
        int in = 16;
        int[] widths = {16, 32, 64};
        for (int s = 0; s < 3; s++) {
            Sequential stage = new Sequential();
            for (int b = 0; b < n; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                Module sc = null;
                if (stride != 1 || in != widths[s]) {
                    sc = shortcut == Shortcut.B ? ResNetInit.downsample(in, widths[s], stride, bnEps, bnMomentum, rng)
                            : new PadShortcut(stride, widths[s]);
                }
                stage.add(new BasicBlock(in, widths[s], stride, sc, bnEps, bnMomentum, rng));
                in = widths[s];
            }
            registerModule("layer" + (s + 1), stage);
        }
        registerModule("avgpool", new AdaptiveAvgPool2d(1));
        registerModule("flatten", new Flatten());
        registerModule("fc", new Linear(64, classes, rng));
    }

    /** Depth 6n+2 with 10 classes, BN eps 1e-5 and momentum 0.1. */
    public CifarResNet(int depth, Shortcut shortcut, Rng rng) {
        this(depth, 10, shortcut, 1e-5f, 0.1f, rng);
    }

    public static CifarResNet resnet20(Shortcut s, Rng rng) {
        return new CifarResNet(20, s, rng);
    }

    public static CifarResNet resnet32(Shortcut s, Rng rng) {
        return new CifarResNet(32, s, rng);
    }

    public static CifarResNet resnet44(Shortcut s, Rng rng) {
        return new CifarResNet(44, s, rng);
    }

    public static CifarResNet resnet56(Shortcut s, Rng rng) {
        return new CifarResNet(56, s, rng);
    }

    public static CifarResNet resnet110(Shortcut s, Rng rng) {
        return new CifarResNet(110, s, rng);
    }

    @Override
    protected List<String> stemNames() {
        return List.of("conv1", "bn1", "relu");
    }

    @Override
    protected List<String> stageNames() {
        List<String> out = new ArrayList<>();
        for (int s = 1; s <= 3; s++) {
            out.add("layer" + s);
        }
        return out;
    }

    @Override
    protected List<String> headNames() {
        return List.of("avgpool", "flatten", "fc");
    }
}
