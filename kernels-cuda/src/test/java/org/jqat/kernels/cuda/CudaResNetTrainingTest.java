package org.jqat.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import org.jqat.nn.Module;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Test;

/**
 * End to end on the GPU: a CIFAR ResNet-20 (option A shortcuts) takes 3 SGD steps (lr 0.1,
 * Nesterov momentum 0.9, weight decay 5e-4, the Trainer's defaults) at batch 16 on random data,
 * once on the host backend and once, from the same initial weights, after {@code Module.to(CUDA)}.
 * Losses must match per step, and every parameter and BatchNorm buffer after the steps.
 *
 * <p><b>Tolerance: |cpu − cuda| ≤ 1e-3·(1 + |cpu|).</b> The host side runs on
 * {@link Backends#cpu()} (the scalar reference backend on this module's test class path, with
 * double accumulators). The GPU accumulates its GEMMs and im2col convolutions in float32 over
 * k ≤ 576 terms: at most k·2⁻²⁴ ≈ 3.4e-5 relative per dot product, about 1e-6 typically. Twenty
 * layers with BatchNorm carry that to ~1e-5–1e-4 relative on the loss and the gradients; a step
 * of lr 0.1 turns a gradient difference into ≤ ~1e-5 absolute on a parameter, and 3 steps (with
 * momentum) into a few 1e-5. So 1e-3 leaves a margin of about 30× for ReLU/rounding flips,
 * while any wrong kernel (a dropped term, a wrong stride, a missed gradient) moves parameters by
 * lr·|g| ≥ 1e-2 or the loss by far more than 1e-3.
 */
class CudaResNetTrainingTest {
    static final double TOL = 1e-3;
    static final int STEPS = 3;
    static final int BATCH = 16;

    private static boolean close(double expected, double actual) {
        return Math.abs(expected - actual) <= TOL * (1 + Math.abs(expected));
    }

    /** Runs the steps on the model's device; returns the loss of each step. */
    private static float[] train(Module net, Tensor images, int[] labels) {
        Device d = net.device();
        Tensor x = images.to(d);
        SGD opt = new SGD(net.trainableParameters(), 0.1, 0.9, 5e-4, true); // after the move: it holds the parameters
        float[] losses = new float[STEPS];
        net.train();
        for (int s = 0; s < STEPS; s++) {
            opt.zeroGrad();
            Tensor loss = Functional.crossEntropy(net.forward(x), labels);
            losses[s] = loss.item();
            loss.backward();
            opt.step();
        }
        return losses;
    }

    @Test
    void resnet20TrainsOnCudaAsOnTheHost() {
        CudaTestSupport.requireGpu();
        CifarResNet host = CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(20));
        CifarResNet gpu = host.copy();
        Tensor w = gpu.child("conv1").param("weight");
        assertEquals(Device.CUDA, gpu.to(Device.CUDA).device());
        assertNotSame(w, gpu.child("conv1").param("weight"), "moved parameters are new tensors");
        gpu.namedParameters().forEach((k, v) -> {
            assertEquals(Device.CUDA, v.device(), k);
            assertTrue(v.requiresGrad() && v.isLeaf(), k);
        });
        assertEquals(host.stateDict().keySet(), gpu.stateDict().keySet(), "names kept");

        Rng r = new Rng(7);
        Tensor images = Tensor.randn(r, BATCH, 3, 32, 32);
        int[] labels = new int[BATCH];
        for (int i = 0; i < BATCH; i++) {
            labels[i] = r.nextInt(10);
        }
        float[] hostLoss = train(host, images, labels);
        float[] gpuLoss = train(gpu, images, labels);
        for (int s = 0; s < STEPS; s++) {
            assertTrue(Float.isFinite(hostLoss[s]), "host loss " + s);
            assertTrue(close(hostLoss[s], gpuLoss[s]), "step " + (s + 1) + " loss: host " + hostLoss[s] + " vs cuda " + gpuLoss[s]);
        }
        assertTrue(hostLoss[STEPS - 1] < hostLoss[0], "3 steps on one batch lower its loss: " + java.util.Arrays.toString(hostLoss));

        Map<String, Tensor> a = host.stateDict();
        Map<String, Tensor> b = gpu.stateDict();
        List<String> bad = new ArrayList<>();
        double worst = 0;
        for (var e : a.entrySet()) {
            Tensor g = b.get(e.getKey());
            assertEquals(Device.CUDA, g.device(), e.getKey());
            float[] x = e.getValue().toFloatArray();
            float[] y = g.toFloatArray(); // downloads
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]) / (1 + Math.abs(x[i])));
                if (!close(x[i], y[i]) && bad.size() < 10) {
                    bad.add(e.getKey() + "[" + i + "]: host " + x[i] + " vs cuda " + y[i]);
                }
            }
        }
        if (!bad.isEmpty()) {
            fail("parameters/buffers differ after " + STEPS + " steps (worst scaled diff " + worst + "): " + bad);
        }
        System.err.printf("ResNet-20, %d SGD steps at batch %d: host (%s) vs cuda, losses %s vs %s, worst scaled diff %.3g%n",
                STEPS, BATCH, Backends.cpu().name(), java.util.Arrays.toString(hostLoss), java.util.Arrays.toString(gpuLoss), worst);

        // and back: moving to the host gives tensors equal to the device ones
        float[] before = gpu.child("fc").param("weight").toFloatArray();
        gpu.to(Device.CPU);
        assertEquals(Device.CPU, gpu.device());
        CudaTestSupport.assertBitExact(before, gpu.child("fc").param("weight").toFloatArray(), "fc.weight back on the host");
    }
}
