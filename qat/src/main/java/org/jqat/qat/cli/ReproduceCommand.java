package org.jqat.qat.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jqat.core.backend.Device;
import org.jqat.core.io.Json;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.DatasetRegistry;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.checkpoint.Preprocessing;
import org.jqat.qat.br.BrConfig;
import org.jqat.qat.reproduce.AccuracyPlot;
import org.jqat.qat.reproduce.Preset;
import org.jqat.qat.reproduce.ResultsTable;
import org.jqat.qat.reproduce.RunRecord;
import org.jqat.qat.train.QatRun;
import org.jqat.qat.train.Schedule;
import org.jqat.qat.train.Supervised;
import org.jqat.qat.train.TrainConfig;
import org.jqat.qat.train.Trainer;
import org.jqat.qat.zoo.Pretrained;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jqat reproduce}: the project's main job. Trains (or loads) the full-precision model,
 * then runs plain QAT and QAT with block replacement at each bit width of the preset with the
 * same schedule, seeds and quantizer, and prints a Markdown table beside the published anchors.
 * Every run resumes from its own checkpoint, so an interrupted reproduction continues.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Reproduces plain QAT vs QAT + block replacement for a preset (smoke, cifar10-short, paper-cifar10, "
                + "paper-imagenet) and writes results.md, results.json and accuracy.png to --out.")
final class ReproduceCommand implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Mixin
    QatOptions quant = new QatOptions();

    @Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--preset", defaultValue = Preset.SMOKE, description = "smoke, cifar10-short, paper-cifar10 or paper-imagenet (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--teacher", paramLabel = "FILE", description = "Full-precision model to start from instead of training one: "
            + "a checkpoint (jqat or PyTorch) or pretrained:NAME (default for the CIFAR presets: the published model, "
            + "e.g. pretrained:resnet20-cifar10).")
    String teacher;

    @Option(names = "--train-fp", description = "Train the full-precision model with the preset's recipe instead of "
            + "using the published one (CIFAR presets).")
    boolean trainFp;

    @Option(names = "--out", paramLabel = "DIR", description = "Output directory (default: runs/reproduce-<preset>).")
    Path out;

    @Option(names = "--seeds", description = "Seeds per setting (default: the preset's).")
    Integer seeds;

    @Option(names = "--qat-epochs", description = "QAT epochs (default: the preset's).")
    Integer qatEpochs;

    @Option(names = "--bits", split = ",", description = "Bit widths W=A to run, e.g. 4,2 (default: the preset's).")
    List<Integer> bits;

    @Option(names = "--limit-train", description = "Train QAT runs on the first N images only (default: the preset's; 0: all).")
    Integer limitTrain;

    @Option(names = "--methods", split = ",", defaultValue = "plain,br", description = "Which of plain and br to run (default: ${DEFAULT-VALUE}).")
    List<String> methods;

    @Option(names = "--progress", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Progress bars on a terminal (default: on).")
    boolean progress;

    /** The resolved --device, set by call(). */
    private Device dev = Device.CPU;

    @Override
    public Integer call() {
        Preset p = Preset.named(preset);
        int nSeeds = seeds == null ? p.seeds() : seeds;
        int epochs = qatEpochs == null ? p.qatEpochs() : qatEpochs;
        List<Integer> widths = bits == null ? p.bits() : bits;
        int limit = limitTrain == null ? p.limitTrain() : limitTrain;
        if (nSeeds < 1 || epochs < 1 || widths.isEmpty() || limit < 0) {
            throw new IllegalArgumentException("--seeds, --qat-epochs and --bits must be positive, --limit-train not negative");
        }
        for (String m : methods) {
            if (!m.equals("plain") && !m.equals("br")) {
                throw new IllegalArgumentException("--methods takes plain and/or br, got '" + m + "'");
            }
        }
        for (int b : widths) {
            quant.qatConfig(b, b); // validates the bit width and method before anything runs
        }
        BrConfig br = quant.brConfig();
        if (out != null && out.toString().isBlank()) {
            throw new IllegalArgumentException("--out is empty; name an output directory");
        }
        Path dir = out == null ? Path.of("runs", "reproduce-" + p.name()) : out;
        if (teacher != null && trainFp) {
            throw new IllegalArgumentException("--teacher and --train-fp exclude each other");
        }
        runtime.apply();
        dev = device.resolve();
        DatasetRegistry registry = runtime.registry();
        // The FP counterpart comes first: its preprocessing decides how every loader normalises.
        String fpSource = fpSource(p, teacher, trainFp);
        if (teacher == null && fpSource != null) {
            System.err.println("FP counterpart: " + fpSource + " (published top-1 " + Pretrained.named(fpSource).publishedTop1()
                    + "%); --train-fp trains one instead");
        }
        ModelSource.Loaded teacherModel = fpSource == null ? null
                : ModelSource.load(fpSource, "--teacher", p.model(), p.dataset(), runtime).announce("teacher");
        Preprocessing pre = teacherModel != null ? teacherModel.preprocessing() : DataPipelines.defaults(p.dataset());
        String methodName = quant.method.toUpperCase(Locale.ROOT);
        List<RunRecord> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        try (DataLoader test = DataPipelines.loader(registry, p.dataset(), false, 256, 0, runtime.workers, p.limitTest(), pre)) {
            Module fp = fullPrecision(p, registry, test, dir, runs, teacherModel);
            for (int b : widths) {
                for (String m : methods) {
                    for (int seed = 0; seed < nSeeds; seed++) {
                        boolean useBr = m.equals("br");
                        Path runDir = dir.resolve(String.format(Locale.ROOT, "w%da%d/%s/seed%d", b, b, m, seed));
                        TrainConfig cfg = TrainConfig.builder().epochs(epochs).lr(p.qatLr()).weightDecay(p.qatWeightDecay())
                                .schedule(Schedule.COSINE).seed(seed).outputDir(runDir).resume(true).progress(progress).device(dev)
                                .checkpointMetadata(pre.toMetadata()).build();
                        try (DataLoader train = DataPipelines.loader(registry, p.dataset(), true, p.batchSize(), seed, runtime.workers, limit, pre)) {
                            System.err.printf(Locale.ROOT, "== %s W%d/A%d seed %d%n", useBr ? methodName + "+BR" : methodName, b, b, seed);
                            QatRun.Outcome o = QatRun.run(fp, quant.qatConfig(b, b), useBr ? br : null, train, test, cfg, p.quantizerLr());
                            runs.add(record(useBr ? methodName + "+BR" : methodName, b, seed, runDir, o.result()));
                        }
                    }
                }
            }
        }
        List<ResultsTable.Row> rows = ResultsTable.rows(runs, p);
        String table = ResultsTable.markdown(rows, p);
        System.out.println();
        System.out.print(table);
        System.out.printf(Locale.ROOT, "%nwall time %.1f min; results in %s%n", (System.nanoTime() - t0) / 60e9, dir);
        writeResults(dir, p, br, runs, rows, table);
        List<RunRecord> curves = runs.stream().filter(r -> !r.method().equals("FP")).toList();
        AccuracyPlot.write(dir.resolve("accuracy.png"), "Test accuracy per epoch: " + p.model() + " on " + p.dataset()
                + " (" + p.name() + ")", curves);
        return 0;
    }

    /**
     * The FP counterpart to load: {@code --teacher}, else the published model of the preset's
     * model and data set (unless {@code --train-fp}), else null (train one).
     */
    static String fpSource(Preset p, String teacher, boolean trainFp) {
        if (teacher != null) {
            return teacher;
        }
        Pretrained published = Pretrained.forModel(p.model(), p.dataset());
        return trainFp || published == null ? null : Pretrained.PREFIX + published.name();
    }

    /** Evaluates the given teacher, or trains the FP model (resuming from dir/fp when interrupted). */
    private Module fullPrecision(Preset p, DatasetRegistry registry, DataLoader test, Path dir, List<RunRecord> runs,
                                 ModelSource.Loaded teacherModel) {
        Path fpDir = dir.resolve("fp");
        if (teacherModel != null) {
            Module fp = teacherModel.model().to(dev);
            TrainConfig cfg = TrainConfig.builder().epochs(1).progress(progress).device(dev).build();
            var m = new Trainer(new Supervised(fp, 0), test, null, cfg).evaluate(test, "teacher");
            runs.add(new RunRecord("FP", 32, 32, 0, m.top1(), m.top1(), List.of(m.top1()), Double.NaN, 0));
            return fp;
        }
        Module fp = Models.create(p.model(), test.dataset().numClasses(), test.dataset().imageShape()[0], 0).to(dev);
        TrainConfig cfg = TrainConfig.builder().epochs(p.fpEpochs()).lr(p.fpLr()).weightDecay(p.fpWeightDecay())
                .schedule(Schedule.COSINE).seed(0).outputDir(fpDir).resume(true).progress(progress).device(dev)
                .checkpointMetadata(DataPipelines.defaults(p.dataset()).toMetadata()).build();
        try (DataLoader train = DataPipelines.loader(registry, p.dataset(), true, p.batchSize(), 0, runtime.workers, 0)) {
            System.err.println("== FP " + p.model());
            Trainer.Result r = new Trainer(new Supervised(fp, 0), train, test, cfg).fit();
            runs.add(record("FP", 32, 0, fpDir, r));
        }
        // Continue from the last epoch's weights (what the trainer left in the model, or the checkpoint after a resume).
        fp.loadStateDict(Checkpoint.read(fpDir.resolve(Trainer.LAST)).model(), true);
        return fp;
    }

    /** A finished run, with its curve read back from metrics.jsonl (complete even after a resume). */
    private static RunRecord record(String method, int bits, int seed, Path runDir, Trainer.Result r) {
        List<Double> curve = new ArrayList<>();
        double ips = 0;
        try {
            for (String line : Files.readAllLines(runDir.resolve(Trainer.METRICS), StandardCharsets.UTF_8)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> rec = (Map<String, Object>) Json.parse(line);
                curve.add(((Number) rec.get("test_top1")).doubleValue());
                ips += ((Number) rec.get("train_images_per_s")).doubleValue();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read metrics of " + runDir, e);
        }
        double best = curve.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        return new RunRecord(method, bits, bits, seed, curve.isEmpty() ? Double.NaN : curve.get(curve.size() - 1), best,
                curve, curve.isEmpty() ? Double.NaN : ips / curve.size(), r.seconds());
    }

    private void writeResults(Path dir, Preset p, BrConfig br, List<RunRecord> runs, List<ResultsTable.Row> rows, String table) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("preset", p.name());
        json.put("dataset", p.dataset());
        json.put("model", p.model());
        json.put("method", quant.method);
        json.put("block_replacement", br.toString());
        json.put("published_source", p.anchorSource());
        List<Object> rs = new ArrayList<>();
        for (RunRecord r : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", r.method());
            m.put("wbits", r.weightBits());
            m.put("abits", r.activationBits());
            m.put("seed", r.seed());
            m.put("top1", r.top1());
            m.put("best_top1", r.bestTop1());
            m.put("test_top1_per_epoch", r.curve());
            m.put("train_images_per_s", Double.isNaN(r.imagesPerSecond()) ? null : r.imagesPerSecond());
            m.put("seconds", r.seconds());
            rs.add(m);
        }
        json.put("runs", rs);
        List<Object> summary = new ArrayList<>();
        for (ResultsTable.Row row : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("method", row.method());
            m.put("bits", row.bits());
            m.put("seeds", row.seeds());
            m.put("top1_mean", row.mean());
            m.put("top1_std", row.std());
            m.put("published_top1", row.published());
            summary.add(m);
        }
        json.put("summary", summary);
        RunFiles.writeJson(dir.resolve("results.json"), json);
        try {
            Files.writeString(dir.resolve("results.md"), table, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("results.md"), e);
        }
    }
}
