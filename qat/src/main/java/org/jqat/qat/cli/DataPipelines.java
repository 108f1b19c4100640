package org.jqat.qat.cli;

import java.util.Locale;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.Dataset;
import org.jqat.datasets.DatasetRegistry;
import org.jqat.datasets.transforms.Normalize;
import org.jqat.datasets.transforms.RandomCrop;
import org.jqat.datasets.transforms.RandomHorizontalFlip;
import org.jqat.datasets.transforms.ToTensor;
import org.jqat.datasets.transforms.Transform;

/** The standard preprocessing of each data set, as the usual PyTorch recipes use. */
public final class DataPipelines {
    private DataPipelines() {
    }

    /** Per-channel mean and std of the training set. */
    record Stats(float[] mean, float[] std) {
    }

    static Stats stats(String dataset) {
        return switch (dataset) {
            case "cifar10" -> new Stats(new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f});
            case "cifar100" -> new Stats(new float[] {0.5071f, 0.4865f, 0.4409f}, new float[] {0.2673f, 0.2564f, 0.2762f});
            case "mnist" -> new Stats(new float[] {0.1307f}, new float[] {0.3081f});
            case "fashion-mnist" -> new Stats(new float[] {0.2860f}, new float[] {0.3530f});
            default -> throw new IllegalArgumentException("unknown data set '" + dataset + "'; known: " + DatasetRegistry.NAMES);
        };
    }

    /** Training augmentation: CIFAR gets random crop (padding 4) and flip; MNIST-style sets none. */
    public static Transform trainTransform(String dataset, int size) {
        Stats s = stats(dataset);
        Transform t = new ToTensor();
        if (dataset.startsWith("cifar")) {
            t = t.then(new RandomCrop(size, 4)).then(new RandomHorizontalFlip());
        }
        return t.then(new Normalize(s.mean(), s.std()));
    }

    public static Transform testTransform(String dataset) {
        Stats s = stats(dataset);
        return new ToTensor().then(new Normalize(s.mean(), s.std()));
    }

    /** A loader for one split with the standard transform of the set. */
    public static DataLoader loader(DatasetRegistry registry, String dataset, boolean train, int batchSize, long seed,
                                    int workers, int limit) {
        String name = dataset.toLowerCase(Locale.ROOT);
        Dataset data = registry.open(name, train);
        if (limit > 0 && limit < data.size()) {
            data = new Subset(data, limit);
        }
        Transform t = train ? trainTransform(name, data.imageShape()[1]) : testTransform(name);
        return DataLoader.builder(data).batchSize(batchSize).shuffle(train).dropLast(train).seed(seed)
                .transform(t).workers(workers).build();
    }
}
