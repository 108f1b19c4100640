package org.jqat.qat.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.jqat.core.backend.Device;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.Module;
import org.jqat.nn.infer.Inference;
import org.jqat.qat.train.Metrics;
import org.jqat.qat.train.Supervised;
import org.jqat.qat.train.TrainConfig;
import org.jqat.qat.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jqat eval}: top-1/top-5 accuracy and loss of a checkpoint on a test set. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluates a checkpoint on the test split of a data set.")
final class EvalCommand implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "A checkpoint (jqat train, qat or import; "
            + "a PyTorch .pt/.pth/.th is imported on the fly) or pretrained:NAME. Inputs are normalised as the checkpoint records.")
    String checkpoint;

    @Option(names = "--model", defaultValue = "resnet20", paramLabel = "NAME", description = "Model the checkpoint holds (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--dataset", defaultValue = "cifar10", paramLabel = "NAME", description = "Data set (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--limit", defaultValue = "0", description = "Evaluate only the first N test images (0: all).")
    int limit;

    @Override
    public Integer call() {
        Models.validate(model);
        runtime.apply();
        Device dev = device.resolve();
        if (batchSize < 1 || limit < 0) {
            throw new IllegalArgumentException("--batch-size must be positive and --limit not negative");
        }
        DataPipelines.validate(dataset);
        // The checkpoint is checked before any data is read: a wrong file fails in a second, not after a download.
        ModelSource.Loaded loaded = ModelSource.load(checkpoint, "--checkpoint", model, dataset, runtime).announce("model");
        Module net = loaded.model();
        net.to(dev);
        try (DataLoader test = DataPipelines.loader(runtime.registry(), dataset, false, batchSize, 0, runtime.workers, limit,
                loaded.preprocessing())) {
            TrainConfig cfg = TrainConfig.builder().epochs(1).progress(true).device(dev).build();
            // Scored through the inference copy: batch norm folded, fused epilogues, no graph (same
            // predictions up to float rounding, about 1e-6 relative on the logits)
            Metrics m = new Trainer(new Supervised(Inference.optimize(net), 0), test, null, cfg).evaluate(test, "eval");
            System.out.printf(Locale.ROOT, "%s on %s test (%d images): top1 %.2f%%, top5 %.2f%%, loss %.4f%n",
                    checkpoint, dataset, m.count(), m.top1(), m.top5(), m.loss());
        }
        return 0;
    }
}
