package org.jqat.qat.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.export.QatExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code jqat export}: a QAT checkpoint to an integer model file (QatExport's format plus the architecture). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Exports a QAT checkpoint (from jqat qat) as integer weights plus scales, the file jqat infer runs.")
final class ExportCommand implements Callable<Integer> {

    @Mixin
    QatOptions quant = new QatOptions();

    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "QAT checkpoint (last/best.safetensors of jqat qat).")
    Path checkpoint;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Integer model file to write (.safetensors).")
    Path out;

    @Option(names = "--model", defaultValue = "resnet20", paramLabel = "NAME", description = "Model: " + Models.NAMES + " (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--dataset", defaultValue = "cifar10", paramLabel = "NAME", description = "Data set it was trained on: cifar10, cifar100, mnist, fashion-mnist (default: ${DEFAULT-VALUE}).")
    String dataset;

    @Option(names = "--wbits", defaultValue = "4", description = "Weight bits, 1 to 8 (default: ${DEFAULT-VALUE}).")
    int wbits;

    @Option(names = "--abits", defaultValue = "4", description = "Activation bits, 1 to 8 (default: ${DEFAULT-VALUE}).")
    int abits;

    /** {classes, channels} of a data set, without reading it. */
    static int[] shape(String dataset) {
        return switch (dataset.trim().toLowerCase(Locale.ROOT)) {
            case "cifar10" -> new int[] {10, 3};
            case "cifar100" -> new int[] {100, 3};
            case "mnist", "fashion-mnist" -> new int[] {10, 1};
            default -> throw new IllegalArgumentException("unknown --dataset '" + dataset + "'; expected cifar10, cifar100, mnist or fashion-mnist");
        };
    }

    @Override
    public Integer call() {
        Models.validate(model);
        int[] s = shape(dataset);
        Module fp = Models.create(model, s[0], s[1], 0);
        Module q = Qat.convert(fp, quant.qatConfig(wbits, abits));
        q.loadStateDict(Checkpoint.read(checkpoint).model(), true);
        q.eval();
        Map<String, String> md = new LinkedHashMap<>();
        md.put("jqat.model", model);
        md.put("jqat.dataset", dataset);
        md.put("jqat.method", quant.method);
        md.put("jqat.wbits", Integer.toString(wbits));
        md.put("jqat.abits", Integer.toString(abits));
        md.put("jqat.first_last", quant.firstLast);
        md.put("jqat.per_channel", Boolean.toString(quant.perChannel));
        md.put("jqat.quantize_shortcuts", Boolean.toString(quant.quantizeShortcuts));
        QatExport.export(q, out, md);
        System.out.printf(Locale.ROOT, "%s: %s %s w%da%d, %d integer layers%n", out, model, quant.method, wbits, abits, QatExport.layers(out).size());
        return 0;
    }

    /** Rebuilds the converted architecture recorded in an exported file's metadata. */
    static Module template(Map<String, String> md, Path file) {
        String model = md.get("jqat.model");
        if (model == null) {
            throw new IllegalArgumentException(file + ": no jqat.model entry; write the file with jqat export");
        }
        QatOptions o = new QatOptions();
        o.method = md.get("jqat.method");
        o.firstLast = md.get("jqat.first_last");
        o.perChannel = Boolean.parseBoolean(md.get("jqat.per_channel"));
        o.quantizeShortcuts = Boolean.parseBoolean(md.get("jqat.quantize_shortcuts"));
        int[] s = shape(md.get("jqat.dataset"));
        return Qat.convert(Models.create(model, s[0], s[1], 0),
                o.qatConfig(Integer.parseInt(md.get("jqat.wbits")), Integer.parseInt(md.get("jqat.abits"))));
    }
}
