package org.jqat.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.infer.Inference;
import org.jqat.nn.infer.InferenceModel;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.IntModel;
import org.openjdk.jmh.annotations.*;

/**
 * ResNet-20 inference on 32×32 images: the FP32 model on the cpu backend through
 * {@link Inference#optimize} (batch norm folded, fused epilogues; {@code bits = 32}) against
 * the integer engine running the LSQ W{@code bits}A{@code bits} export of the same network. Time
 * per batch; images/s = batch / time.
 *
 * <p>What the integer side runs (first and last layer float, the QAT default): a batch of 128 as
 * chunks of {@code IntModel.DEFAULT_CHUNK} images, each through the whole network on one thread
 * (batch 1: each layer split over the threads); every quantized conv a direct conv over 16-bit code
 * planes with requantization (and, in conv2 of each block, the residual add and ReLU) fused into
 * its tiles. W4A4 accumulates in 16-bit lanes (whole rows, or at least 273 taps, between
 * widenings), W2A2 with two positions per 16-bit lane on large grids (tens of taps between
 * splits), both exact by the bounds in {@code Accumulation}; W8A8 in 16-bit spans where its rows'
 * window sums allow 16 taps or more, else in float lanes (exact below 2^24). Run with {@code -jvmArgsAppend -Djqat.threads=N} to fix the thread count;
 * {@code IntModel.describe()} lists each layer's arithmetic.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g", "-XX:+UseG1GC"})
public class IntInferenceBench {
    @Param({"32", "8", "4", "2"})
    public int bits;
    @Param({"1", "128"})
    public int batch;

    private CifarResNet fp;
    private InferenceModel fast;
    private IntModel integer;
    private Tensor images;

    @Setup
    public void setup() throws IOException {
        fp = QuantResNet20.floatModel();
        fast = Inference.optimize(fp);
        if (bits != 32) {
            Path dir = Files.createTempDirectory("jqat-int-bench");
            Path file = dir.resolve("resnet20-w" + bits + ".safetensors");
            CifarResNet q = QuantResNet20.lsq(fp, bits);
            QatExport.export(q, file);
            integer = IntModel.load(file, q);
            Files.delete(file);
            Files.delete(dir);
        }
        images = Tensor.randn(new Rng(23), batch, 3, 32, 32);
    }

    @Benchmark
    public Tensor infer() {
        if (integer != null) {
            return integer.logits(images);
        }
        return fast.forward(images);
    }
}
