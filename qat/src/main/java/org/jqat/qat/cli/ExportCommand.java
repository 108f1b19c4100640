package org.jqat.qat.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jqat.core.io.Json;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.checkpoint.Preprocessing;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.export.QatExport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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

    @Option(names = "--wbits", defaultValue = "4", description = "Weight bits, 1 to 8; lsq and lsq-plus need 2 or more (default: ${DEFAULT-VALUE}; read from the checkpoint when it records them).")
    int wbits;

    @Option(names = "--abits", defaultValue = "4", description = "Activation bits, 1 to 8 (default: ${DEFAULT-VALUE}; read from the checkpoint when it records them).")
    int abits;

    /** {classes, channels} of a data set, without reading it. */
    static int[] shape(String dataset) {
        return switch (dataset == null ? "" : dataset.trim().toLowerCase(Locale.ROOT)) {
            case "imagenet" -> new int[] {1000, 3};
            case "cifar10" -> new int[] {10, 3};
            case "cifar100" -> new int[] {100, 3};
            case "mnist", "fashion-mnist" -> new int[] {10, 1};
            default -> throw new IllegalArgumentException("unknown --dataset '" + dataset + "'; expected cifar10, cifar100, mnist, fashion-mnist or imagenet");
        };
    }

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (out.toString().isBlank() || java.nio.file.Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out '" + out + "' must name a file to write, not " + (out.toString().isBlank() ? "nothing" : "a directory"));
        }
        CheckpointInputs.refuseOverwrite(out, "--out", checkpoint, "--checkpoint");
        Checkpoint.Contents contents = Checkpoint.read(checkpoint);
        adoptStoredSettings(contents.metadata().get("settings"));
        Models.validate(model);
        int[] s = shape(dataset);
        Module fp = Models.create(model, s[0], s[1], 0);
        Module q = Qat.convert(fp, quant.qatConfig(wbits, abits));
        try {
            q.loadStateDict(contents.model(), true);
        } catch (org.jqat.nn.StateDictException e) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + " does not hold a " + model + " converted with "
                    + quant.method + " w" + wbits + "a" + abits + ": " + e.getMessage());
        }
        q.eval();
        // The integer model expects the inputs the QAT model was trained on; jqat infer reads them back.
        Preprocessing recorded = Preprocessing.fromMetadata(contents.metadata(), checkpoint.toString());
        Preprocessing pre = recorded != null ? recorded : DataPipelines.defaults(dataset).from(dataset + " statistics: "
                + checkpoint.getFileName() + " records none");
        System.err.println("preprocessing: " + pre.describe());
        Map<String, String> md = new LinkedHashMap<>(pre.toMetadata());
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

    /**
     * Takes model, data set, bit widths and quantizer from the settings jqat qat stored in the
     * checkpoint; a flag given on the command line must agree with them. Checkpoints without
     * stored settings (written by older versions or by Java code) keep the flags.
     */
    private void adoptStoredSettings(String json) {
        if (json == null) {
            System.err.println("jqat export: " + checkpoint + " records no run settings; using the command-line flags");
            return;
        }
        Map<String, Object> stored;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) Json.parse(json);
            stored = m;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": metadata 'settings' is not a JSON object");
        }
        if (!"qat".equals(String.valueOf(stored.get("command")))) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + " was written by jqat "
                    + stored.get("command") + ", not jqat qat: export needs a QAT checkpoint");
        }
        List<String> conflicts = new ArrayList<>();
        model = adopt(stored, "model", "--model", model, conflicts);
        dataset = adopt(stored, "dataset", "--dataset", dataset, conflicts);
        quant.method = adopt(stored, "method", "--method", quant.method, conflicts);
        wbits = storedInt("wbits", adopt(stored, "wbits", "--wbits", Integer.toString(wbits), conflicts));
        abits = storedInt("abits", adopt(stored, "abits", "--abits", Integer.toString(abits), conflicts));
        quant.firstLast = adopt(stored, "first_last", "--first-last", quant.firstLast, conflicts);
        quant.perChannel = Boolean.parseBoolean(adopt(stored, "per_channel", "--per-channel", Boolean.toString(quant.perChannel), conflicts));
        quant.quantizeShortcuts = Boolean.parseBoolean(adopt(stored, "quantize_shortcuts", "--quantize-shortcuts",
                Boolean.toString(quant.quantizeShortcuts), conflicts));
        if (!conflicts.isEmpty()) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + " was trained with other settings than the flags say: "
                    + String.join(", ", conflicts) + "; drop the flags (export reads them from the checkpoint)");
        }
    }

    private int storedInt(String key, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--checkpoint " + checkpoint + ": stored setting " + key + " '" + value + "' is not an integer");
        }
    }

    /** The stored value of {@code key}, recording a conflict when {@code option} was given with another value. */
    private String adopt(Map<String, Object> stored, String key, String option, String flagValue, List<String> conflicts) {
        Object v = stored.get(key);
        if (v == null) {
            return flagValue;
        }
        String value = String.valueOf(v);
        boolean given = spec.commandLine().getParseResult().hasMatchedOption(option)
                || option.startsWith("--") && spec.commandLine().getParseResult().hasMatchedOption("--no-" + option.substring(2));
        if (given && !same(key, value, flagValue)) {
            conflicts.add(option + " " + flagValue + " (checkpoint: " + value + ")");
        }
        return value;
    }

    private static boolean same(String key, String stored, String flag) {
        if (key.equals("method")) {
            return QatOptions.parseMethod(stored) == QatOptions.parseMethod(flag);
        }
        return stored.trim().equalsIgnoreCase(flag.trim());
    }

    /** Rebuilds the converted architecture recorded in an exported file's metadata (each entry checked, naming the key). */
    static Module template(Map<String, String> md, Path file) {
        String model = required(md, file, "jqat.model");
        try {
            Models.validate(model);
            QatOptions o = new QatOptions();
            o.method = required(md, file, "jqat.method");
            o.firstLast = required(md, file, "jqat.first_last");
            o.perChannel = bool(md, file, "jqat.per_channel");
            o.quantizeShortcuts = bool(md, file, "jqat.quantize_shortcuts");
            int[] s = shape(required(md, file, "jqat.dataset"));
            return Qat.convert(Models.create(model, s[0], s[1], 0),
                    o.qatConfig(integer(md, file, "jqat.wbits"), integer(md, file, "jqat.abits")));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(file.toString()) ? e
                    : new IllegalArgumentException(file + ": metadata does not describe a model jqat can build: " + e.getMessage(), e);
        }
    }

    private static String required(Map<String, String> md, Path file, String key) {
        String v = md.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException(file + ": metadata has no " + key + " entry; write the file with jqat export");
        }
        return v;
    }

    private static int integer(Map<String, String> md, Path file, String key) {
        String v = required(md, file, key);
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": metadata " + key + " '" + (v.length() > 40 ? v.substring(0, 40) + "..." : v)
                    + "' is not an integer");
        }
    }

    private static boolean bool(Map<String, String> md, Path file, String key) {
        String v = required(md, file, key).trim();
        if (!v.equals("true") && !v.equals("false")) {
            throw new IllegalArgumentException(file + ": metadata " + key + " '" + (v.length() > 40 ? v.substring(0, 40) + "..." : v)
                    + "' is not true or false");
        }
        return Boolean.parseBoolean(v);
    }
}
