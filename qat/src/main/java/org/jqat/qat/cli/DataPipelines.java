package org.jqat.qat.cli;

import java.util.Locale;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.Dataset;
import org.jqat.datasets.DatasetRegistry;
import org.jqat.datasets.transforms.Presets;

/** Loaders over the standard splits and preprocessing of each data set. */
public final class DataPipelines {
    private DataPipelines() {
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
        String name = dataset.toLowerCase(Locale.ROOT);
        Dataset data = registry.open(name, train);
        if (limit > 0 && limit < data.size()) {
            data = new Subset(data, limit);
        }
        return DataLoader.builder(data).batchSize(batchSize).shuffle(train).dropLast(train).seed(seed)
                .transform(Presets.forDataset(name, train)).workers(workers).build();
    }
}
