package org.jqat.qat.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jqat.core.backend.Device;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.DatasetRegistry;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Preprocessing;
import org.jqat.qat.train.QatRun;
import org.jqat.qat.train.TrainConfig;
import org.jqat.qat.zoo.Pretrained;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jqat qat}: quantization-aware training from a full-precision checkpoint, plain or with block replacement. */
@Command(name = "qat", mixinStandardHelpOptions = true,
        description = "Converts a trained full-precision model (--teacher) to its QAT twin and trains it, plainly or with "
                + "block replacement (--br). Same outputs and resume behaviour as jqat train.")
final class QatCommand implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Mixin
    TrainCommand.TrainingOptions training = new TrainCommand.TrainingOptions();

    @Mixin
    QatOptions quant = new QatOptions();

    @Option(names = "--model", defaultValue = "resnet20", paramLabel = "NAME", description = "Model: " + Models.NAMES + " (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--teacher", required = true, paramLabel = "FILE", description = "Full-precision model: a checkpoint of the same model "
            + "(jqat train or import; a PyTorch .pt/.pth/.th is imported on the fly) or pretrained:NAME (e.g. pretrained:resnet20-cifar10). "
            + "Training and test inputs are normalised as it records.")
    String teacher;

    @Option(names = "--wbits", defaultValue = "4", description = "Weight bits, 1 to 8; lsq and lsq-plus need 2 or more (default: ${DEFAULT-VALUE}).")
    int wbits;

    @Option(names = "--abits", defaultValue = "4", description = "Activation bits, 1 to 8 (default: ${DEFAULT-VALUE}).")
    int abits;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--br", description = "Train with block replacement on the full-precision counterpart.")
    boolean br;

    @Override
    public Integer call() {
        Models.validate(model);
        var qatConfig = quant.qatConfig(wbits, abits);
        var brConfig = br ? quant.brConfig() : null;
        runtime.apply();
        Device dev = device.resolve();
        String tag = String.format(Locale.ROOT, "%s-%s-%s-w%da%d%s", model, training.dataset, quant.method, wbits, abits, br ? "-br" : "");
        TrainConfig cfg = training.config(Path.of("runs", tag), dev);
        if (!Pretrained.isReference(teacher)) {
            CheckpointInputs.refuseRunDirectoryHolding(cfg.outputDir(), "--out", Path.of(teacher), "--teacher");
        }
        // The teacher is checked before any data is read; its preprocessing decides how the loaders normalise.
        ModelSource.Loaded loaded = ModelSource.load(teacher, "--teacher", model, training.dataset, runtime).announce("teacher");
        Preprocessing pre = loaded.preprocessing();
        cfg = cfg.withCheckpointMetadata(pre.toMetadata()); // QAT checkpoints expect the teacher's inputs
        Module fp = loaded.model();
        DatasetRegistry registry = runtime.registry();
        try (DataLoader train = DataPipelines.loader(registry, training.dataset, true, training.batchSize, cfg.seed(), runtime.workers, training.limitTrain, pre);
             DataLoader test = DataPipelines.loader(registry, training.dataset, false, training.evalBatchSize, cfg.seed(), runtime.workers, training.limitTest, pre)) {
            Map<String, String> extra = new LinkedHashMap<>();
            extra.put("command", "qat");
            extra.put("model", model);
            extra.put("teacher", Pretrained.isReference(teacher) ? teacher : Path.of(teacher).toAbsolutePath().normalize().toString());
            extra.put("preprocessing_mean", pre.toMetadata().get(Preprocessing.MEAN));
            extra.put("preprocessing_std", pre.toMetadata().get(Preprocessing.STD));
            extra.put("method", quant.method);
            extra.put("wbits", Integer.toString(wbits));
            extra.put("abits", Integer.toString(abits));
            extra.put("block_replacement", Boolean.toString(br));
            if (br) {
                extra.put("br", brConfig.toString());
            }
            extra.put("first_last", quant.firstLast.trim().toLowerCase(Locale.ROOT));
            extra.put("per_channel", Boolean.toString(quant.perChannel));
            extra.put("quantize_shortcuts", Boolean.toString(quant.quantizeShortcuts));
            double qLr = quant.quantizerLr == null ? cfg.lr() : quant.quantizerLr;
            extra.put("quantizer_lr", Double.toString(qLr));
            QatRun.Outcome o = QatRun.run(fp, qatConfig, brConfig, train, test, cfg, qLr,
                    training.settings(extra), training.allowedChanges());
            System.out.printf(Locale.ROOT, "%s: test top1 %.2f%% (best %.2f%%), %.0f train img/s, %.0f s%n",
                    tag, o.result().lastTop1(), o.result().bestTop1(), o.result().trainImagesPerSecond(), o.result().seconds());
        }
        return 0;
    }
}
