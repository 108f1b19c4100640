package org.jqat.kernels.cuda;

import static org.jqat.kernels.cuda.CudaTestSupport.*;

import java.util.Locale;
import java.util.Random;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * GPU throughput numbers for docs/cuda.md, run only with {@code -Djqat.cuda.bench=true}:
 * fake-quant forward/backward GB/s against a device-to-device copy of the same bytes, and SGEMM
 * TFLOPS (own kernel and the dispatched one). Prints one line per measurement.
 */
class CudaBenchTest {

    private static double time(Runnable r, int reps) {
        r.run();
        CUDA.synchronize();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
            r.run();
        }
        CUDA.synchronize();
        return (System.nanoTime() - t0) / 1e9 / reps;
    }

    @Test
    void bandwidthAndGemm() {
        Assumptions.assumeTrue(Boolean.getBoolean("jqat.cuda.bench"), "benchmarks run with -Djqat.cuda.bench=true");
        requireGpu();
        System.out.println(CUDA.describe());
        Random r = new Random(1);
        int n = 64 << 20;
        Storage x = dev(randn(r, n)), y = CUDA.allocate(n), gy = dev(randn(r, n)), gx = CUDA.allocate(n);
        Storage scale = dev(new float[] {0.05f}), gs = CUDA.allocate(1);
        var mask = CUDA.allocateMask(n);
        FakeQuantShape s = FakeQuantShape.perTensor(n, -128, 127, 1e-3f, true);
        double copy = time(() -> CUDA.copy(new int[] {n}, x, 0, new int[] {1}, y, 0, new int[] {1}), 20);
        double fwd = time(() -> CUDA.fakeQuantize(s, x, scale, null, y, mask), 20);
        double bwd = time(() -> CUDA.fakeQuantizeBackward(s, x, gy, scale, null, mask, gx, gs, null), 20);
        double gb = 1e-9;
        System.out.printf(Locale.ROOT, "copy          %.1f GB/s (read+write %d MiB)%n", 8.0 * n / copy * gb, 8L * n >> 20);
        System.out.printf(Locale.ROOT, "fq forward    %.1f GB/s (x, y, mask), %.0f%% of copy%n",
                (8.0 * n + n / 8.0) / fwd * gb, 100 * ((8.0 * n + n / 8.0) / fwd) / (8.0 * n / copy));
        System.out.printf(Locale.ROOT, "fq backward   %.1f GB/s (x, gy, mask, gx), %.0f%% of copy%n",
                (12.0 * n + n / 8.0) / bwd * gb, 100 * ((12.0 * n + n / 8.0) / bwd) / (8.0 * n / copy));
        for (int[] mnk : new int[][] {{4096, 4096, 4096}, {16, 131072, 144}, {32, 32768, 288}, {64, 8192, 576}, {128, 10, 64}}) {
            int m = mnk[0], nn = mnk[1], k = mnk[2];
            Storage a = dev(randn(r, m * k)), b = dev(randn(r, k * nn)), c = CUDA.allocate(m * nn);
            double own = time(() -> CUDA.gemmOwn(false, false, m, nn, k, 1f, a, 0, k, b, 0, nn, 0f, c, 0, nn), 10);
            double disp = time(() -> CUDA.gemm(false, false, m, nn, k, 1f, a, 0, k, b, 0, nn, 0f, c, 0, nn), 10);
            double flop = 2.0 * m * nn * k;
            System.out.printf(Locale.ROOT, "sgemm %dx%dx%d  own %.2f TFLOPS, dispatched (%s) %.2f TFLOPS%n", m, nn, k,
                    flop / own * 1e-12, CUDA.usesCublas() ? "cuBLAS" : "own", flop / disp * 1e-12);
            a.close();
            b.close();
            c.close();
        }
    }
}
