package org.jqat.qat.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jqat.datasets.DataLocation;
import org.jqat.datasets.download.Downloader;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.checkpoint.Preprocessing;
import org.jqat.nn.checkpoint.StateDictImport;
import org.jqat.qat.zoo.Pretrained;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jqat import}: a PyTorch checkpoint to a jqat checkpoint of a zoo model, with its preprocessing recorded. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Imports a PyTorch checkpoint (.pt/.pth/.th, or a PyTorch-layout .safetensors) into a zoo model and "
                + "writes a jqat checkpoint that records the preprocessing and the source file's sha256.")
final class ImportCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The PyTorch file, or " + Pretrained.PREFIX + "NAME for a published model.")
    String file;

    @Option(names = "--model", paramLabel = "NAME", description = "Zoo model the weights belong to: " + Models.NAMES
            + " (default: the pretrained entry's; required for a file).")
    String model;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "jqat checkpoint to write (.safetensors).")
    Path out;

    @Option(names = "--dataset", paramLabel = "NAME", description = "Data set the model classifies, for its class and channel "
            + "counts and default statistics (default: cifar10, or the pretrained entry's).")
    String dataset;

    @Option(names = "--rename", paramLabel = "FROM=TO", description = "Rename a dotted key prefix (repeatable), e.g. "
            + "--rename classifier=fc. Applied after stripping 'module.'; built-in: linear=fc where the model has no 'linear'.")
    List<String> renames = new ArrayList<>();

    @Option(names = "--mean", paramLabel = "M1,M2,M3", description = "Per-channel means the model was trained with (after /255).")
    String mean;

    @Option(names = "--std", paramLabel = "S1,S2,S3", description = "Per-channel standard deviations the model was trained with.")
    String std;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Where pretrained model files are found or downloaded "
            + "(DIR/models; default: $JQAT_DATA, else ~/.cache/jqat).")
    String dataDir;

    @Option(names = "--no-download", description = "Fail instead of downloading a missing pretrained model.")
    boolean noDownload;

    @Override
    public Integer call() {
        if (out.toString().isBlank() || java.nio.file.Files.isDirectory(out)) {
            throw new IllegalArgumentException("--out '" + out + "' must name a file to write, not "
                    + (out.toString().isBlank() ? "nothing" : "a directory"));
        }
        List<StateDictImport.Rename> rules = renames.stream().map(StateDictImport.Rename::parse).toList();
        if ((mean == null) != (std == null)) {
            throw new IllegalArgumentException("--mean and --std go together (one value per channel each)");
        }
        Path source;
        Preprocessing pre = mean == null ? null
                : new Preprocessing(Preprocessing.parse(mean, "--mean"), Preprocessing.parse(std, "--std"), "--mean/--std");
        if (Pretrained.isReference(file)) {
            Pretrained p = Pretrained.named(file);
            if (model != null && !model.trim().toLowerCase(Locale.ROOT).equals(p.model())) {
                throw new IllegalArgumentException(file + " is a " + p.model() + "; leave out --model or use --model " + p.model());
            }
            model = p.model();
            dataset = dataset == null ? p.dataset() : dataset;
            pre = pre == null ? p.preprocessing().from(file) : pre;
            source = p.locate(DataLocation.resolve(dataDir), new Downloader(), !noDownload);
        } else {
            if (model == null) {
                throw new IllegalArgumentException("--model is required: the zoo model the weights belong to (" + Models.NAMES + ")");
            }
            source = Path.of(file);
        }
        dataset = dataset == null ? "cifar10" : dataset.toLowerCase(Locale.ROOT);
        Models.validate(model);
        DataPipelines.validate(dataset);
        Pretrained known = Pretrained.bySha256(StateDictImport.sha256(source));
        if (pre == null && known != null) {
            pre = known.preprocessing().from(Pretrained.PREFIX + known.name() + ", recognised by its sha256");
        }
        if (pre == null) {
            pre = DataPipelines.defaults(dataset);
            System.err.println("no --mean/--std: recording " + dataset + "'s statistics; pass the ones the model was trained with");
        }
        int[] shape = ExportCommand.shape(dataset);
        if (pre.mean().length != shape[1]) {
            throw new IllegalArgumentException("--mean/--std give " + pre.mean().length + " channels, " + dataset + " images have " + shape[1]);
        }
        CheckpointInputs.refuseOverwrite(out, "--out", source, "FILE");
        Module net = Models.create(model, shape[0], shape[1], 0);
        StateDictImport.Result r = StateDictImport.load(source, net, rules);
        Map<String, String> md = new LinkedHashMap<>(pre.toMetadata());
        md.put("model", model);
        md.put("dataset", dataset);
        md.put("source.file", source.getFileName().toString());
        md.put("source.sha256", r.source().sha256());
        md.put("source.format", r.source().format());
        if (!r.renamed().isEmpty()) {
            md.put("source.renamed", String.join(", ", r.renamed()));
        }
        RunFiles.createParent(out);
        Checkpoint.write(out, new Checkpoint.Contents(net.stateDict(), Map.of(), Map.of(), 0, null, md));
        System.out.printf(Locale.ROOT, "%s: %s (%s, sha256 %s), %d tensors into %s for %s%s%n", out, source, r.source().format(),
                r.source().sha256(), r.source().stateDict().size(), model, dataset,
                r.renamed().isEmpty() ? "" : "; renamed " + summarize(r.renamed()));
        System.out.println("preprocessing: " + pre.describe());
        return 0;
    }

    /** The renames, shortened: "linear.weight -> fc.weight, ... (65 keys lost their 'module.' prefix)". */
    private static String summarize(List<String> renamed) {
        List<String> shown = renamed.stream().filter(s -> {
            String[] ft = s.split(" -> ");
            return !ft[0].equals("module." + ft[1]);
        }).toList();
        long stripped = renamed.size() - shown.size();
        String list = shown.size() <= 6 ? String.join(", ", shown) : String.join(", ", shown.subList(0, 6)) + ", ...";
        return list + (stripped > 0 ? (list.isEmpty() ? "" : "; ") + stripped + " keys lost their 'module.' prefix" : "");
    }
}
