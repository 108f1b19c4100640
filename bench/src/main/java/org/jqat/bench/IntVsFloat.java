package org.jqat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.infer.Inference;
import org.jqat.nn.infer.InferenceModel;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.IntModel;

/**
 * ResNet-20 inference, jqat FP32 ({@link Inference#optimize}) against the integer engine at
 * several bit widths, interleaved in one JVM: every round times each model for a slice of
 * {@code ms} milliseconds in turn, and the best time per batch over the rounds is reported, with
 * its ratio to FP32. On a shared, noisy host this is the comparison that holds (single runs differ
 * by 15–20 %); JMH's {@link IntInferenceBench} runs the cases one after another.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp benchmarks.jar org.jqat.bench.IntVsFloat batch rounds ms bits...</pre>
 */
public final class IntVsFloat {
    private IntVsFloat() {
    }

    public static void main(String[] args) throws IOException {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        long ms = args.length > 2 ? Long.parseLong(args[2]) : 1500;
        int[] bits = {4, 2, 8};
        if (args.length > 3) {
            bits = new int[args.length - 3];
            for (int i = 3; i < args.length; i++) {
                bits[i - 3] = Integer.parseInt(args[i]);
            }
        }
        CifarResNet fp = QuantResNet20.floatModel();
        InferenceModel fast = Inference.optimize(fp);
        Tensor images = Tensor.randn(new Rng(23), batch, 3, 32, 32);
        List<String> names = new ArrayList<>();
        List<Supplier<Tensor>> runs = new ArrayList<>();
        names.add("fp32");
        runs.add(() -> fast.forward(images));
        for (int b : bits) {
            IntModel m = load(fp, b);
            names.add("W" + b + "A" + b);
            runs.add(() -> m.logits(images));
        }
        double[] best = new double[runs.size()];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < runs.size(); i++) {
                long end = System.nanoTime() + ms * 1_000_000;
                do {
                    long t = System.nanoTime();
                    runs.get(i).get();
                    best[i] = Math.min(best[i], (System.nanoTime() - t) / 1e6);
                } while (System.nanoTime() < end);
            }
        }
        for (int i = 0; i < runs.size(); i++) {
            System.out.printf(Locale.ROOT, "batch %d %-6s %8.3f ms %8.0f img/s %5.2fx fp32%n", batch, names.get(i), best[i],
                    batch * 1000 / best[i], best[0] / best[i]);
        }
    }

    private static IntModel load(CifarResNet fp, int bits) throws IOException {
        Path dir = Files.createTempDirectory("jqat-int-vs-float");
        Path file = dir.resolve("resnet20-w" + bits + ".safetensors");
        CifarResNet q = QuantResNet20.lsq(fp, bits);
        QatExport.export(q, file);
        try {
            return IntModel.load(file, q);
        } finally {
            Files.delete(file);
            Files.delete(dir);
        }
    }
}
