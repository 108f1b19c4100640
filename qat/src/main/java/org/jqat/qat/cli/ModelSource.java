package org.jqat.qat.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.datasets.DataLocation;
import org.jqat.datasets.download.Downloader;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.checkpoint.Preprocessing;
import org.jqat.nn.checkpoint.StateDictImport;
import org.jqat.qat.zoo.Pretrained;

/**
 * Where the commands get a trained full-precision model: a jqat checkpoint, a PyTorch file
 * ({@code .pt/.pth/.th}, or a PyTorch-layout {@code .safetensors}) imported on the fly, or a
 * published model ({@code pretrained:NAME}). It comes with the preprocessing it expects: the
 * one recorded in the checkpoint, the published one, or else the data set's customary one.
 */
final class ModelSource {

    /** A loaded model, the inputs it expects, and a line saying where both came from. */
    record Loaded(Module model, Preprocessing preprocessing, String description) {
        /** Tells the user which model and preprocessing a command uses (on stderr, beside progress). */
        Loaded announce(String role) {
            System.err.println(role + ": " + description);
            System.err.println("preprocessing: " + preprocessing.describe());
            return this;
        }
    }

    private ModelSource() {
    }

    /**
     * Loads {@code spec} (given as {@code option}, e.g. {@code --teacher}) into the zoo model
     * {@code modelName} for {@code dataset}.
     *
     * @throws IllegalArgumentException when the file does not fit the model (every missing,
     *                                  unexpected and mis-shaped key named), or a pretrained
     *                                  entry is for another model or data set
     */
    static Loaded load(String spec, String option, String modelName, String dataset, RuntimeOptions runtime) {
        String ds = dataset.toLowerCase(Locale.ROOT);
        if (Pretrained.isReference(spec)) {
            Pretrained p = Pretrained.named(spec);
            String m = modelName.trim().toLowerCase(Locale.ROOT);
            if (!p.model().equals(m) && !(p.model() + "-a").equals(m)) {
                throw new IllegalArgumentException(spec + " is a " + p.model() + " (option-A shortcuts); use --model " + p.model());
            }
            if (!p.dataset().equals(ds)) {
                throw new IllegalArgumentException(spec + " was trained on " + p.dataset() + ", not " + dataset);
            }
            DataLocation where = DataLocation.resolve(runtime.dataDir);
            Path file = p.locate(where, new Downloader(), !runtime.noDownload);
            Module model = p.create(0);
            StateDictImport.load(file, model, List.of());
            return new Loaded(model, p.preprocessing().from(spec), spec + " (" + file + ", " + p.credit() + ")");
        }
        Path file = Path.of(spec);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(option + " " + file + " not found (a file, or " + Pretrained.PREFIX + "NAME with NAME one of "
                    + new java.util.TreeSet<>(Pretrained.ALL.keySet()) + ")");
        }
        int[] shape = ExportCommand.shape(ds);
        Module model = Models.create(modelName, shape[0], shape[1], 0);
        Preprocessing recorded;
        String what;
        if (isJqatCheckpoint(file)) {
            CheckpointInputs.loadModel(model, file, option, modelName);
            recorded = Preprocessing.fromMetadata(Checkpoint.read(file).metadata(), file.toString());
            what = file + " (jqat checkpoint)";
        } else {
            StateDictImport.Result r;
            try {
                r = StateDictImport.load(file, model, List.of());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + " " + e.getMessage());
            }
            Pretrained known = Pretrained.bySha256(r.source().sha256());
            recorded = known == null ? null : known.preprocessing().from(Pretrained.PREFIX + known.name() + ", recognised by its sha256");
            what = file + " (" + r.source().format() + ", imported on the fly" + (r.renamed().isEmpty() ? "" : ", keys renamed") + ")";
        }
        Preprocessing pre = recorded != null ? recorded
                : DataPipelines.defaults(ds).from(ds + " statistics: " + file.getFileName() + " records none");
        return new Loaded(model, pre, what);
    }

    /** A safetensors file written by jqat (a {@code jqat.format} metadata entry), whatever its name. */
    static boolean isJqatCheckpoint(Path file) {
        if (!StateDictImport.isSafetensors(file)) {
            return false;
        }
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> md = f.metadata();
            return md.containsKey(Checkpoint.FORMAT);
        }
    }
}
