package org.jqat.qat.cli;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.datasets.Batch;
import org.jqat.datasets.ClassNames;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.transforms.CenterCrop;
import org.jqat.datasets.transforms.Image;
import org.jqat.datasets.transforms.Presets;
import org.jqat.datasets.transforms.Resize;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Preprocessing;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.Agreement;
import org.jqat.qat.infer.IntModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jqat infer}: integer inference of an exported model on an image file or a test split. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Runs an integer model file (from jqat export) with integer arithmetic: the class of an image "
                + "(PNG/JPEG) or the accuracy on a data set's test split.")
final class InferCommand implements Callable<Integer> {

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Parameters(index = "0", paramLabel = "MODEL", description = "Integer model file written by jqat export.")
    Path modelFile;

    @Option(names = "--image", paramLabel = "FILE", description = "Image to classify (PNG, JPEG, ...).")
    Path image;

    @Option(names = "--dataset", paramLabel = "NAME", description = "Evaluate on this data set's test split (default: the model's, when no --image).")
    String dataset;

    @Option(names = "--limit", defaultValue = "0", description = "Evaluate only the first N test images (0: all).")
    int limit;

    @Option(names = "--batch-size", defaultValue = "256", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--compare", description = "Also run the fake-quantized float model the file was exported from, and report "
            + "how often the two agree on the top-1 class and their largest logit difference.")
    boolean compare;

    @Option(names = "--layers", description = "First print each step of the integer model, one a line: a conv's weight bits and "
            + "how it accumulates (int16 spans, int16 pairs, exact fp32, bit-serial), what it feeds.")
    boolean layers;

    @Override
    public Integer call() {
        runtime.apply();
        Map<String, String> md;
        try (SafetensorsFile f = SafetensorsFile.open(modelFile)) {
            md = f.metadata();
        }
        Module template = ExportCommand.template(md, modelFile);
        IntModel m = IntModel.load(modelFile, template);
        if (layers) {
            m.describe().forEach(System.out::println);
        }
        String ds = md.get("jqat.dataset");
        if (batchSize < 1 || limit < 0) {
            throw new IllegalArgumentException("--batch-size must be positive and --limit not negative, got " + batchSize + " and " + limit);
        }
        Preprocessing recorded = Preprocessing.fromMetadata(md, modelFile.toString());
        Preprocessing pre = recorded != null ? recorded : DataPipelines.defaults(ds).from(ds + " statistics: "
                + modelFile.getFileName() + " records none");
        System.err.println("preprocessing: " + pre.describe());
        if (image != null) {
            Tensor x = load(image, ds, pre);
            Tensor out = m.logits(x);
            float[] logits = out.toFloatArray();
            int best = IntModel.argmax(out)[0];
            List<String> names = classNames(ds);
            System.out.printf(Locale.ROOT, "%s: class %d%s (logit %.4f)%n", image, best,
                    names != null && best < names.size() ? " (" + names.get(best) + ")" : "", logits[best]);
            return 0;
        }
        String evalSet = dataset != null ? dataset : ds;
        if (limit < 0 || batchSize < 1) {
            throw new IllegalArgumentException("--limit must not be negative and --batch-size positive");
        }
        DataPipelines.validate(evalSet);
        Module fakeQuant = null;
        if (compare) {
            fakeQuant = QatExport.load(modelFile, template);
            fakeQuant.eval();
        }
        Agreement agreement = new Agreement();
        long correct = 0;
        long total = 0;
        long t0 = System.nanoTime();
        try (DataLoader test = DataPipelines.loader(runtime.registry(), evalSet, false, batchSize, 0, runtime.workers, limit, pre);
             DataLoader.Epoch epoch = test.epoch(0)) {
            while (epoch.hasNext()) {
                Batch b = epoch.next();
                Tensor logits = m.logits(b.images());
                int[] p = IntModel.argmax(logits);
                for (int i = 0; i < p.length; i++) {
                    correct += p[i] == b.labels()[i] ? 1 : 0;
                }
                total += p.length;
                if (fakeQuant != null) {
                    try (var ng = Autograd.noGrad()) {
                        agreement.add(fakeQuant.forward(b.images()).toFloatArray(), logits.toFloatArray(), logits.size(1), b.labels());
                    }
                }
            }
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "%s on %s test (%d images): integer top1 %.2f%% (%.0f img/s)%n", modelFile, evalSet, total,
                100.0 * correct / Math.max(1, total), total / s);
        if (fakeQuant != null) {
            System.out.printf(Locale.ROOT, "fake-quantized model top1 %.2f%%; integer vs fake-quant %s%n", agreement.referenceTop1(), agreement);
        }
        return 0;
    }

    static List<String> classNames(String dataset) {
        return switch (dataset == null ? "" : dataset) {
            case "cifar10" -> ClassNames.CIFAR10;
            case "cifar100" -> ClassNames.CIFAR100;
            case "mnist" -> ClassNames.MNIST;
            case "fashion-mnist" -> ClassNames.FASHION_MNIST;
            default -> null;
        };
    }

    /**
     * An image file as the data set's test pipeline sees it, normalised with {@code pre}:
     * [1, C, S, S], S = 28 (MNIST) or 32 (CIFAR).
     */
    static Tensor load(Path file, String dataset, Preprocessing pre) {
        BufferedImage img = org.jqat.datasets.ImageFiles.read(file);
        int channels = ExportCommand.shape(dataset)[1];
        int size = channels == 1 ? 28 : 32;
        int w = img.getWidth();
        int h = img.getHeight();
        float[] data = new float[channels * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xFF;
                int g = (rgb >> 8) & 0xFF;
                int b = rgb & 0xFF;
                if (channels == 1) {
                    data[y * w + x] = 0.299f * r + 0.587f * g + 0.114f * b;
                } else {
                    data[y * w + x] = r;
                    data[(h + y) * w + x] = g;
                    data[(2 * h + y) * w + x] = b;
                }
            }
        }
        Image im = new Image(data, channels, h, w);
        Rng rng = new Rng(0);
        if (h != size || w != size) {
            im = new CenterCrop(size).apply(new Resize(size).apply(im, rng), rng);
        }
        im = Presets.forDataset(dataset, false, pre.mean(), pre.std()).apply(im, rng);
        return Tensor.of(im.data(), 1, im.channels(), im.height(), im.width());
    }
}
