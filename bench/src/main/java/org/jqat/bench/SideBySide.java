package org.jqat.bench;

import java.util.Locale;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;

/**
 * The jqat half of {@code bench/side-by-side.sh}: runs one named workload with warm-up and prints
 * {@code RESULT <workload> <value> <unit>} lines (best of several timed repetitions), the same
 * format {@code pytorch_side.py} prints, so the script can pair them up.
 */
public final class SideBySide {
    private SideBySide() {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "all";
        Backend cpu = Backends.get("cpu");
        System.err.println("# " + cpu.describe());
        if (what.equals("sgemm") || what.equals("all")) {
            sgemm(cpu, 1024);
        }
        if (what.equals("fakequant") || what.equals("all")) {
            fakeQuant(cpu, 1 << 24);
        }
        if (what.equals("resnet") || what.equals("all")) {
            resnet(false);
            resnet(true);
        }
    }

    private static void result(String name, double value, String unit) {
        System.out.printf(Locale.ROOT, "RESULT %s %.2f %s%n", name, value, unit);
    }

    private static void sgemm(Backend cpu, int n) {
        java.util.Random r = new java.util.Random(1);
        Storage a = new HeapStorage(GemmBench.random(r, n * n)), b = new HeapStorage(GemmBench.random(r, n * n));
        Storage c = new HeapStorage(n * n);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 40; i++) {
            long t = System.nanoTime();
            cpu.gemm(false, false, n, n, n, 1f, a, 0, n, b, 0, n, 0f, c, 0, n);
            double s = (System.nanoTime() - t) / 1e9;
            if (i >= 10) {
                best = Math.min(best, s);
            }
        }
        result("sgemm1024_t" + System.getProperty("jqat.threads", "auto"), 2.0 * n * n * n / best / 1e9, "GFLOPS");
    }

    private static void fakeQuant(Backend cpu, int n) {
        java.util.Random r = new java.util.Random(3);
        FakeQuantShape s = FakeQuantShape.perTensor(n, -8, 7, 1f, true);
        Storage x = new HeapStorage(GemmBench.random(r, n)), gy = new HeapStorage(GemmBench.random(r, n));
        Storage y = new HeapStorage(n), gx = new HeapStorage(n), scale = new HeapStorage(new float[] {0.05f});
        Storage gs = new HeapStorage(1);
        BitMask mask = cpu.allocateMask(n);
        double best = Double.MAX_VALUE, bestCopy = Double.MAX_VALUE;
        for (int i = 0; i < 25; i++) {
            long t = System.nanoTime();
            cpu.fakeQuantize(s, x, scale, null, y, mask);
            cpu.fakeQuantizeBackward(s, x, gy, scale, null, mask, gx, gs, null);
            double sec = (System.nanoTime() - t) / 1e9;
            t = System.nanoTime();
            cpu.copy(new int[] {n}, x, 0, new int[] {1}, y, 0, new int[] {1});
            double copy = (System.nanoTime() - t) / 1e9;
            if (i >= 5) {
                best = Math.min(best, sec);
                bestCopy = Math.min(bestCopy, copy);
            }
        }
        // Bytes a one-pass implementation must move: fwd reads x, writes y + 1-bit mask;
        // bwd reads x, gy, mask, writes gx.
        double bytes = n * (4.0 + 4 + 0.125 + 4 + 4 + 0.125 + 4);
        result("fakequant16M_ms", best * 1e3, "ms");
        result("fakequant16M_GBps", bytes / best / 1e9, "GB/s");
        result("copy16M_GBps", n * 8.0 / bestCopy / 1e9, "GB/s");
    }

    private static void resnet(boolean lsq) {
        Rng rng = new Rng(4);
        ResNet20 net = new ResNet20(rng, lsq);
        Tensor images = Tensor.randn(rng, 128, 3, 32, 32);
        int[] labels = new int[128];
        for (int i = 0; i < 128; i++) {
            labels[i] = i % 10;
        }
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 12; i++) {
            long t = System.nanoTime();
            net.trainStep(images, labels, 0.01f);
            double sec = (System.nanoTime() - t) / 1e9;
            if (i >= 4) {
                best = Math.min(best, sec);
            }
        }
        result(lsq ? "resnet20_lsq4_step" : "resnet20_fp32_step", 128 / best, "img/s");
    }
}
