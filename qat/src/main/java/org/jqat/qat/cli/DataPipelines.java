package org.jqat.qat.cli;

import java.util.Locale;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.Dataset;
import org.jqat.datasets.DatasetRegistry;
import org.jqat.datasets.transforms.Presets;
import org.jqat.nn.checkpoint.Preprocessing;

/** Loaders over the standard splits and preprocessing of each data set. */
public final class DataPipelines {
    private DataPipelines() {
    }

    /** The customary statistics of a data set, as a {@link Preprocessing} (what jqat train uses). */
    public static Preprocessing defaults(String dataset) {
        String name = dataset.toLowerCase(Locale.ROOT);
        float[][] s = Presets.statistics(name);
        return new Preprocessing(s[0], s[1], name + " statistics, the default");
    }

    /** Fails with the list of known sets unless {@code dataset} has a standard pipeline. */
    public static void validate(String dataset) {
        if (!DatasetRegistry.NAMES.contains(dataset.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("unknown data set '" + dataset + "'; known: " + DatasetRegistry.NAMES);
        }
    }

    /**
     * A loader for one split with the set's preset transform (crop and flip for CIFAR training).
     *
     * @param limit use only the first {@code limit} examples when positive
     */
    public static DataLoader loader(DatasetRegistry registry, String dataset, boolean train, int batchSize, long seed,
                                    int workers, int limit) {
        return loader(registry, dataset, train, batchSize, seed, workers, limit, null);
    }

    /**
     * As above, normalising with {@code preprocessing} (the statistics a model was trained
     * with) instead of the set's customary ones when it is not null.
     */
    public static DataLoader loader(DatasetRegistry registry, String dataset, boolean train, int batchSize, long seed,
                                    int workers, int limit, Preprocessing preprocessing) {
        String name = dataset.toLowerCase(Locale.ROOT);
        Dataset data = registry.open(name, train);
        if (limit > 0 && limit < data.size()) {
            data = new Subset(data, limit);
        }
        return DataLoader.builder(data).batchSize(batchSize).shuffle(train).dropLast(train).seed(seed)
                .transform(preprocessing == null ? Presets.forDataset(name, train)
                        : Presets.forDataset(name, train, preprocessing.mean(), preprocessing.std())).workers(workers).build();
    }
}
