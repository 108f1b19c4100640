package org.jqat.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;

/**
 * Memory of one ResNet-20 training step at batch 128 (FP32 and 4-bit LSQ, the {@link ResNet20}
 * of the side-by-side run): bytes allocated per step, summed over every thread of the JVM, and
 * the live heap at the step's peak — a full collection right after the forward pass, when every
 * activation saved for backward is reachable. Run:
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.jqat.bench.StepMemory}.
 */
public final class StepMemory {
    private StepMemory() {
    }

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
        for (boolean lsq : new boolean[] {false, true}) {
            measure(lsq, batch);
        }
    }

    private static void measure(boolean lsq, int batch) {
        Rng rng = new Rng(4);
        ResNet20 net = new ResNet20(rng, lsq);
        Tensor images = Tensor.randn(rng, batch, 3, 32, 32);
        int[] labels = new int[batch];
        for (int i = 0; i < batch; i++) {
            labels[i] = i % 10;
        }
        for (int i = 0; i < 3; i++) {
            net.trainStep(images, labels, 0.01f);
        }
        long before = allocatedBytes();
        int steps = 3;
        for (int i = 0; i < steps; i++) {
            net.trainStep(images, labels, 0.01f);
        }
        double perStep = (allocatedBytes() - before) / (double) steps;

        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        System.gc();
        long idle = mem.getHeapMemoryUsage().getUsed();
        Tensor loss = Functional.crossEntropy(net.forward(images), labels);
        System.gc();
        long peak = mem.getHeapMemoryUsage().getUsed();
        loss.backward();
        System.out.printf("RESULT resnet20_%s_alloc_per_step %.1f MiB%n", lsq ? "lsq4" : "fp32", perStep / (1 << 20));
        System.out.printf("RESULT resnet20_%s_live_heap_peak %.1f MiB%n", lsq ? "lsq4" : "fp32", peak / (double) (1 << 20));
        System.out.printf("RESULT resnet20_%s_live_heap_idle %.1f MiB%n", lsq ? "lsq4" : "fp32", idle / (double) (1 << 20));
    }

    /** Bytes allocated so far by every live thread (the caller and the kernel workers). */
    private static long allocatedBytes() {
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long total = 0;
        for (long b : mx.getThreadAllocatedBytes(mx.getAllThreadIds())) {
            total += Math.max(0, b);
        }
        return total;
    }
}
