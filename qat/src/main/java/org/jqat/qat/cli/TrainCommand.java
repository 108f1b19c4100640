package org.jqat.qat.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jqat.core.backend.Device;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.DatasetRegistry;
import org.jqat.nn.Module;
import org.jqat.qat.train.Schedule;
import org.jqat.qat.train.Supervised;
import org.jqat.qat.train.TrainConfig;
import org.jqat.qat.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jqat train}: trains a zoo model on a data set, with checkpoints and exact resume. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Trains a full-precision model. Writes last.safetensors (every epoch), best.safetensors and "
            + "metrics.jsonl to --out; rerunning the same command resumes from last.safetensors.")
final class TrainCommand implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Mixin
    TrainingOptions training = new TrainingOptions();

    @Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--model", defaultValue = "resnet20", paramLabel = "NAME", description = "Model: " + Models.NAMES + " (default: ${DEFAULT-VALUE}).")
    String model;

    @Override
    public Integer call() {
        Models.validate(model);
        runtime.apply();
        Device dev = device.resolve();
        TrainConfig cfg = training.config(Path.of("runs", model + "-" + training.dataset), dev)
                .withCheckpointMetadata(DataPipelines.defaults(training.dataset).toMetadata()); // eval, qat and export read it back
        DatasetRegistry registry = runtime.registry();
        try (DataLoader train = DataPipelines.loader(registry, training.dataset, true, training.batchSize, cfg.seed(), runtime.workers, training.limitTrain);
             DataLoader test = DataPipelines.loader(registry, training.dataset, false, training.evalBatchSize, cfg.seed(), runtime.workers, training.limitTest)) {
            int[] shape = train.dataset().imageShape();
            Module net = Models.create(model, train.dataset().numClasses(), shape[0], cfg.seed()).to(dev);
            System.err.printf(Locale.ROOT, "%s on %s: %,d parameters, %d training images, backend %s%n", model, training.dataset,
                    net.parameterCount(), train.dataset().size(), DeviceOption.describe(dev));
            Trainer.Result r = new Trainer(new Supervised(net, cfg.labelSmoothing()), train, test, cfg)
                    .runSettings(training.settings(Map.of("command", "train", "model", model)), training.allowedChanges())
                    .fit();
            System.out.printf(Locale.ROOT, "%s %s: test top1 %.2f%% (best %.2f%%), top5 %.2f%%, %.0f train img/s, %.0f s%n",
                    model, training.dataset, r.lastTop1(), r.bestTop1(), r.lastTop5(), r.trainImagesPerSecond(), r.seconds());
        }
        return 0;
    }

    /** Training options shared by train, qat and reproduce. */
    static final class TrainingOptions {
        @Option(names = "--dataset", defaultValue = "cifar10", paramLabel = "NAME", description = "cifar10, cifar100, mnist or fashion-mnist (default: ${DEFAULT-VALUE}).")
        String dataset;

        @Option(names = "--epochs", defaultValue = "20", description = "Epochs (default: ${DEFAULT-VALUE}).")
        int epochs;

        @Option(names = "--batch-size", defaultValue = "128", description = "Training batch size (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--eval-batch-size", defaultValue = "256", description = "Evaluation batch size (default: ${DEFAULT-VALUE}).")
        int evalBatchSize;

        @Option(names = "--lr", defaultValue = "0.1", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
        double lr;

        @Option(names = "--momentum", defaultValue = "0.9", description = "SGD momentum (default: ${DEFAULT-VALUE}).")
        double momentum;

        @Option(names = "--nesterov", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Nesterov momentum (default: on).")
        boolean nesterov;

        @Option(names = "--weight-decay", defaultValue = "5e-4", description = "Weight decay (default: ${DEFAULT-VALUE}).")
        double weightDecay;

        @Option(names = "--schedule", defaultValue = "cosine", description = "cosine, step, multistep or constant (default: ${DEFAULT-VALUE}).")
        String schedule;

        @Option(names = "--warmup", defaultValue = "0", description = "Linear warm-up epochs before cosine (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--step-per", defaultValue = "iteration", description = "Step the schedule per 'iteration' or per 'epoch' (default: ${DEFAULT-VALUE}).")
        String stepPer;

        @Option(names = "--milestones", split = ",", description = "Epochs where multistep multiplies the rate by --gamma, e.g. 100,150.")
        List<Integer> milestones = List.of();

        @Option(names = "--step-size", defaultValue = "30", description = "Epochs between decays for the step schedule (default: ${DEFAULT-VALUE}).")
        int stepSize;

        @Option(names = "--gamma", defaultValue = "0.1", description = "Decay factor of step and multistep (default: ${DEFAULT-VALUE}).")
        double gamma;

        @Option(names = "--label-smoothing", defaultValue = "0", description = "Label smoothing (default: ${DEFAULT-VALUE}).")
        float labelSmoothing;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, shuffling and augmentation (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/<model>-<dataset>).")
        Path out;

        @Option(names = "--resume", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Continue from <out>/last.safetensors when present (default: on).")
        boolean resume;

        @Option(names = "--allow-change", split = ",", paramLabel = "SETTING",
                description = "Settings a resume may change from the stored run: " + CHANGEABLE_TEXT
                        + " (default: none; any other difference is refused).")
        List<String> allowChange = List.of();

        static final String CHANGEABLE_TEXT = "epochs, eval_batch_size, limit_test, device";
        static final java.util.Set<String> CHANGEABLE = java.util.Set.of("epochs", "eval_batch_size", "limit_test", "device");

        @Option(names = "--limit-train", defaultValue = "0", description = "Use only the first N training images (0: all).")
        int limitTrain;

        @Option(names = "--limit-test", defaultValue = "0", description = "Use only the first N test images (0: all).")
        int limitTest;

        @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Progress bar on stderr when it is a terminal (default: on).")
        boolean progress;

        TrainConfig config(Path defaultOut, Device device) {
            if (batchSize < 1 || evalBatchSize < 1) {
                throw new IllegalArgumentException("--batch-size and --eval-batch-size must be positive, got "
                        + batchSize + " and " + evalBatchSize);
            }
            if (out != null && out.toString().isBlank()) {
                throw new IllegalArgumentException("--out is empty; name an output directory");
            }
            allowedChanges();
            if (limitTrain < 0 || limitTest < 0) {
                throw new IllegalArgumentException("--limit-train and --limit-test must not be negative");
            }
            boolean perIteration = switch (stepPer) {
                case "iteration" -> true;
                case "epoch" -> false;
                default -> throw new IllegalArgumentException("--step-per must be 'iteration' or 'epoch', got '" + stepPer + "'");
            };
            DataPipelines.validate(dataset);
            return TrainConfig.builder().epochs(epochs).lr(lr).momentum(momentum).nesterov(nesterov).weightDecay(weightDecay)
                    .schedule(Schedule.parse(schedule)).warmupEpochs(warmup).perIteration(perIteration).stepSize(stepSize)
                    .gamma(gamma).milestones(milestones).labelSmoothing(labelSmoothing).seed(seed)
                    .outputDir(out == null ? defaultOut : out).resume(resume).progress(progress).device(device).build();
        }

        /**
         * The command-line settings the run directory stores (config.json and every checkpoint)
         * beside the trainer's own, and checks when resuming.
         */
        Map<String, Object> settings(Map<String, String> extra) {
            Map<String, Object> m = new LinkedHashMap<>(extra);
            m.put("dataset", dataset.toLowerCase(Locale.ROOT));
            m.put("batch_size", batchSize);
            m.put("eval_batch_size", evalBatchSize);
            m.put("limit_train", limitTrain);
            m.put("limit_test", limitTest);
            return m;
        }

        /** The --allow-change names, checked against the settings a resume may change. */
        java.util.Set<String> allowedChanges() {
            java.util.Set<String> out = new java.util.TreeSet<>();
            for (String s : allowChange) {
                String k = s.trim().replaceFirst("^--", "").replace('-', '_').toLowerCase(Locale.ROOT);
                if (!CHANGEABLE.contains(k)) {
                    throw new IllegalArgumentException("--allow-change: '" + s + "' cannot change on resume; only "
                            + CHANGEABLE_TEXT + " can (start afresh with --no-resume or another --out)");
                }
                out.add(k);
            }
            return out;
        }
    }
}
