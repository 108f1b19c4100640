package org.jqat.bench;

import java.util.concurrent.TimeUnit;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.openjdk.jmh.annotations.*;

/** One ResNet-20 SGD training step at batch 128 on 32×32 inputs, FP32 and 4-bit LSQ. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g", "-XX:+UseG1GC"})
public class ResNetStepBench {
    @Param({"false", "true"})
    public boolean lsq;
    private ResNet20 net;
    private Tensor images;
    private int[] labels;

    @Setup
    public void setup() {
        Rng rng = new Rng(4);
        net = new ResNet20(rng, lsq);
        images = Tensor.randn(rng, 128, 3, 32, 32);
        labels = new int[128];
        for (int i = 0; i < 128; i++) {
            labels[i] = i % 10;
        }
    }

    @Benchmark
    public float step() {
        return net.trainStep(images, labels, 0.01f);
    }
}
