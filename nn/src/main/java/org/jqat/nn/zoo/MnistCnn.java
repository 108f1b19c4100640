package org.jqat.nn.zoo;

import java.util.List;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Blocks;
import org.jqat.nn.Chain;
import org.jqat.nn.Module;
import org.jqat.nn.NamedBlock;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Dropout;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.MaxPool2d;
import org.jqat.nn.layers.ReLU;

/**
 * A small CNN for 28×28 MNIST digits: two 5×5 convolutions (16 and 32 channels, each
 * followed by ReLU and 2×2 max pooling), then a 128-unit hidden layer with dropout and a
 * 10-way classifier. Blocks: {@code stem} (conv1), {@code block2} (conv2), {@code head}.
 */
public final class MnistCnn extends Module implements Blocks {

    public MnistCnn(float dropout, Rng rng) {
        registerModule("conv1", new Conv2d(1, 16, 5, 1, 2, true, rng));
        registerModule("relu1", new ReLU());
        registerModule("pool1", new MaxPool2d(2));
        registerModule("conv2", new Conv2d(16, 32, 5, 1, 2, true, rng));
        registerModule("relu2", new ReLU());
        registerModule("pool2", new MaxPool2d(2));
        registerModule("flatten", new Flatten());
        registerModule("fc1", new Linear(32 * 7 * 7, 128, rng));
        registerModule("relu3", new ReLU());
        registerModule("dropout", new Dropout(dropout, new Rng(rng.nextLong())));
        registerModule("fc2", new Linear(128, 10, rng));
    }

    public MnistCnn(Rng rng) {
        this(0.25f, rng);
    }

    @Override
    public Tensor forward(Tensor x) {
        return Blocks.run(blocks(), x);
    }

    @Override
    public List<NamedBlock> blocks() {
        return List.of(
                new NamedBlock("stem", Chain.viewOf(this, "conv1", "relu1", "pool1")),
                new NamedBlock("block2", Chain.viewOf(this, "conv2", "relu2", "pool2")),
                new NamedBlock("head", Chain.viewOf(this, "flatten", "fc1", "relu3", "dropout", "fc2")));
    }

    /** The model is small: its stages are its blocks. */
    @Override
    public List<NamedBlock> stages() {
        return blocks();
    }
}
