package org.jqat.nn.zoo;

import java.util.List;
import org.jqat.core.Rng;
import org.jqat.nn.Module;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.AdaptiveAvgPool2d;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.MaxPool2d;
import org.jqat.nn.layers.ReLU;

/**
 * torchvision's ImageNet ResNet with its exact layout and state-dict keys: {@code conv1}
 * (7×7, stride 2), {@code bn1}, {@code relu}, {@code maxpool} (3×3, stride 2),
 * {@code layer1..4} of {@link BasicBlock}s or {@link Bottleneck}s (64, 128, 256, 512 planes),
 * {@code avgpool}, {@code fc}. Convolutions are Kaiming-normal (fan-out), BN weight 1 and bias
 * 0, the classifier PyTorch's default Linear init, as torchvision.
 */
public final class ResNet extends BlockModel {
    public final boolean bottleneck;
    public final int[] layers;

    public ResNet(boolean bottleneck, int[] layers, int classes, Rng rng) {
        this.bottleneck = bottleneck;
        this.layers = layers.clone();
        float eps = 1e-5f;
        float momentum = 0.1f;
        int expansion = bottleneck ? Bottleneck.EXPANSION : BasicBlock.EXPANSION;
        registerModule("conv1", ResNetInit.conv(3, 64, 7, 2, 3, rng));
        registerModule("bn1", new BatchNorm2d(64, eps, momentum));
        registerModule("relu", new ReLU());
        registerModule("maxpool", new MaxPool2d(3, 2, 1));
        int in = 64;
        for (int s = 0; s < layers.length; s++) {
            int planes = 64 << s;
            Sequential stage = new Sequential();
            for (int b = 0; b < layers[s]; b++) {
                int stride = b == 0 && s > 0 ? 2 : 1;
                Module ds = stride != 1 || in != planes * expansion
                        ? ResNetInit.downsample(in, planes * expansion, stride, eps, momentum, rng) : null;
                stage.add(bottleneck ? new Bottleneck(in, planes, stride, ds, eps, momentum, rng)
                        : new BasicBlock(in, planes, stride, ds, eps, momentum, rng));
                in = planes * expansion;
            }
            registerModule("layer" + (s + 1), stage);
        }
        registerModule("avgpool", new AdaptiveAvgPool2d(1));
        registerModule("flatten", new Flatten());
        registerModule("fc", new Linear(in, classes, rng));
    }

    public static ResNet resnet18(int classes, Rng rng) {
        return new ResNet(false, new int[] {2, 2, 2, 2}, classes, rng);
    }

    public static ResNet resnet34(int classes, Rng rng) {
        return new ResNet(false, new int[] {3, 4, 6, 3}, classes, rng);
    }

    public static ResNet resnet50(int classes, Rng rng) {
        return new ResNet(true, new int[] {3, 4, 6, 3}, classes, rng);
    }

    @Override
    protected List<String> stemNames() {
        return List.of("conv1", "bn1", "relu", "maxpool");
    }

    @Override
    protected List<String> stageNames() {
        return java.util.stream.IntStream.rangeClosed(1, layers.length).mapToObj(i -> "layer" + i).toList();
    }

    @Override
    protected List<String> headNames() {
        return List.of("avgpool", "flatten", "fc");
    }
}
