package org.jqat.kernels.cuda;

import static org.jqat.kernels.cuda.CudaTestSupport.*;

import java.util.Locale;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Device;
import org.jqat.nn.Module;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * ResNet-20 training throughput on the GPU, for docs/performance.md, run only with
 * {@code -Djqat.cuda.bench=true}: CIFAR-sized random batches of 128, SGD (lr 0.1, Nesterov 0.9,
 * wd 5e-4), each step in a {@link TensorScope} with the loss read back, as the trainer does.
 * Prints {@code resnet20 train batch 128: N img/s} (and the same line for PyTorch comes from
 * {@code kernels-cuda/gpu-check/torch_resnet20.py}).
 */
class CudaResNetThroughputTest {
    static final int BATCH = 128;
    static final int WARMUP = 5;
    static final int STEPS = 30;

    @Test
    void resnet20TrainingImagesPerSecond() {
        Assumptions.assumeTrue(Boolean.getBoolean("jqat.cuda.bench"), "benchmarks run with -Djqat.cuda.bench=true");
        requireGpu();
        Module net = CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(0)).to(Device.CUDA);
        SGD opt = new SGD(net.trainableParameters(), 0.1, 0.9, 5e-4, true);
        Tensor images = Tensor.randn(new Rng(1), BATCH, 3, 32, 32);
        int[] labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            labels[i] = i % 10;
        }
        net.train();
        long t0 = 0;
        for (int s = 0; s < WARMUP + STEPS; s++) {
            if (s == WARMUP) {
                CUDA.synchronize();
                t0 = System.nanoTime();
            }
            try (TensorScope step = TensorScope.open()) {
                Tensor x = images.to(Device.CUDA);
                opt.zeroGrad();
                Tensor loss = Functional.crossEntropy(net.forward(x), labels);
                loss.item();
                loss.backward();
                opt.step();
                opt.zeroGrad();
            }
        }
        CUDA.synchronize();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "resnet20 train batch %d: %.0f img/s (jqat cuda, %d steps, %s)%n", BATCH,
                STEPS * BATCH / seconds, STEPS, CUDA.usesCublas() ? "cuBLAS GEMM" : "own GEMM");
        System.out.println("allocator after the run: " + CUDA.allocatorStats());
    }
}
