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
 * by 15–20 %); JMH's {@link IntInferenceBench} runs the cases one after another. A bit width
 * written {@code 2/off} (or {@code /on}) loads that model with {@code jqat.int.bitserial} set so,
 * to set the bit-serial tiles against the 16-bit ones in the same run.
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
        String[] bits = {"4", "2", "8"};
        if (args.length > 3) {
            bits = java.util.Arrays.copyOfRange(args, 3, args.length);
        }
        CifarResNet fp = QuantResNet20.floatModel();
        InferenceModel fast = Inference.optimize(fp);
        Tensor images = Tensor.randn(new Rng(23), batch, 3, 32, 32);
        List<String> names = new ArrayList<>();
        List<Supplier<Tensor>> runs = new ArrayList<>();
        names.add("fp32");
        runs.add(() -> fast.forward(images));
        for (String b : bits) {
            String[] parts = b.split("/", 2);
            int width = Integer.parseInt(parts[0]);
            IntModel m = load(fp, width, parts.length > 1 ? parts[1] : null);
            names.add("W" + width + "A" + width + (parts.length > 1 ? "/" + parts[1] : ""));
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
            System.out.printf(Locale.ROOT, "batch %d %-10s %8.3f ms %8.0f img/s %5.2fx fp32%n", batch, names.get(i), best[i],
                    batch * 1000 / best[i], best[0] / best[i]);
        }
    }

    /** The integer model at {@code bits}, loaded with {@code jqat.int.bitserial} set to {@code bitSerial} when given. */
    private static IntModel load(CifarResNet fp, int bits, String bitSerial) throws IOException {
        Path dir = Files.createTempDirectory("jqat-int-vs-float");
        Path file = dir.resolve("resnet20-w" + bits + ".safetensors");
        CifarResNet q = QuantResNet20.lsq(fp, bits);
        QatExport.export(q, file);
        String before = System.getProperty("jqat.int.bitserial");
        try {
            if (bitSerial != null) {
                System.setProperty("jqat.int.bitserial", bitSerial);
            }
            return IntModel.load(file, q);
        } finally {
            if (bitSerial != null) {
                if (before == null) {
                    System.clearProperty("jqat.int.bitserial");
                } else {
                    System.setProperty("jqat.int.bitserial", before);
                }
            }
            Files.delete(file);
            Files.delete(dir);
        }
    }
}
