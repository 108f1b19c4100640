package org.jqat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.jqat.core.Tensor;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.IntModel;

/**
 * Weight bytes of ResNet-20: the FP32 model (checkpoint file with only the weights, and float
 * parameters in memory) against its LSQ exports at W8, W4 and W2 (export file, and the integer
 * engine's weight codes in memory). Prints a Markdown table.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.jqat.bench.IntModelSizes</pre>
 */
public final class IntModelSizes {
    private IntModelSizes() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("jqat-sizes");
        CifarResNet fp = QuantResNet20.floatModel();
        Path fpFile = dir.resolve("resnet20-fp32.safetensors");
        Checkpoint.save(fpFile, fp, null, null, 0, null, Map.of());
        long fpParams = 0;
        for (Tensor p : fp.parameters()) {
            fpParams += p.numel();
        }
        System.out.println("| model | file on disk (bytes) | weights in memory (bytes) | integer weight codes (bytes) |");
        System.out.println("| --- | --- | --- | --- |");
        System.out.printf(Locale.ROOT, "| FP32 | %,d | %,d | — |%n", Files.size(fpFile), 4 * fpParams);
        for (int bits : new int[] {8, 4, 2}) {
            CifarResNet q = QuantResNet20.lsq(fp, bits);
            Path file = dir.resolve("resnet20-w" + bits + ".safetensors");
            QatExport.export(q, file);
            IntModel m = IntModel.load(file, q);
            System.out.printf(Locale.ROOT, "| LSQ W%dA%d | %,d | %,d | %,d |%n", bits, bits, Files.size(file), m.memoryBytes(), m.weightBytes());
            Files.delete(file);
        }
        Files.delete(fpFile);
        Files.delete(dir);
    }
}
