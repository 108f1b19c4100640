package org.jqat.bench;

import java.util.Locale;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.jqat.nn.Module;
import org.jqat.nn.infer.Inference;
import org.jqat.nn.infer.InferenceModel;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.br.BlockReplacement;
import org.jqat.qat.br.BrConfig;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.IntModel;
import org.jqat.qat.train.Objective;
import org.jqat.qat.train.Supervised;

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
        if (what.equals("infer") || what.equals("all")) {
            infer();
        }
        if (what.equals("br") || what.equals("all")) {
            blockReplacement();
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

    /**
     * ResNet-20 (option A) inference at batch 1 and 128: the float model through
     * {@link Inference#optimize} (batch norm folded, fused epilogues) and the integer engine on the
     * LSQ W8A8/W4A4/W2A2 exports of the same network ({@link QuantResNet20}). Best time of several
     * calls, as pytorch_side.py times its models; the four models take turns, a few calls each, so
     * that the integer engine's ratios to FP32 (the script prints them) compare models that saw the
     * same phases of the host, whose speed drifts for minutes at a time.
     */
    private static void infer() {
        CifarResNet fp = QuantResNet20.floatModel();
        InferenceModel fast = Inference.optimize(fp);
        int[] bits = {8, 4, 2};
        IntModel[] integer = new IntModel[bits.length];
        for (int i = 0; i < bits.length; i++) {
            integer[i] = exported(fp, bits[i]);
        }
        for (int batch : new int[] {1, 128}) {
            Tensor images = Tensor.randn(new Rng(23), batch, 3, 32, 32);
            Runnable[] calls = new Runnable[1 + bits.length];
            calls[0] = () -> fast.forward(images);
            for (int i = 0; i < bits.length; i++) {
                IntModel m = integer[i];
                calls[1 + i] = () -> m.logits(images);
            }
            double[] best = bestSecondsInTurns(batch, calls);
            result("resnet20_infer_fp32_b" + batch, batch / best[0], "img/s");
            for (int i = 0; i < bits.length; i++) {
                String name = bits[i] == 8 ? "resnet20_infer_int8_b" + batch : "resnet20_infer_w" + bits[i] + "a" + bits[i] + "_b" + batch;
                result(name, batch / best[1 + i], "img/s");
            }
        }
    }

    /**
     * Best wall time of one call of each of {@code calls}, after warm-up, taken in turns: five
     * rounds, each running every call a few times (many at batch 1, few at large batches).
     */
    private static double[] bestSecondsInTurns(int batch, Runnable[] calls) {
        int warm = batch == 1 ? 100 : 5;
        int perTurn = batch == 1 ? 80 : 5;
        for (Runnable call : calls) {
            for (int i = 0; i < warm; i++) {
                call.run();
            }
        }
        double[] best = new double[calls.length];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        for (int round = 0; round < 5; round++) {
            for (int c = 0; c < calls.length; c++) {
                for (int i = 0; i < perTurn; i++) {
                    long t = System.nanoTime();
                    calls[c].run();
                    best[c] = Math.min(best[c], (System.nanoTime() - t) / 1e9);
                }
            }
        }
        return best;
    }

    /** The integer engine on the LSQ W{bits}A{bits} export of fp. */
    private static IntModel exported(CifarResNet fp, int bits) {
        try {
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("jqat-side-by-side");
            java.nio.file.Path file = dir.resolve("resnet20-w" + bits + ".safetensors");
            CifarResNet q = QuantResNet20.lsq(fp, bits);
            QatExport.export(q, file);
            IntModel m = IntModel.load(file, q);
            java.nio.file.Files.delete(file);
            java.nio.file.Files.delete(dir);
            return m;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The cost of block replacement: training steps of the zoo's ResNet-20 converted to LSQ W4A4
     * (batch 128), plain ({@link Supervised}) and wrapped in {@link BlockReplacement} with its
     * defaults around the float model, interleaved step by step in this JVM so both see the same
     * host speed. Best step of each; the script divides them. jqat only: PyTorch has no such step.
     */
    private static void blockReplacement() {
        CifarResNet fp = QuantResNet20.floatModel();
        Module lp = Qat.convert(fp.copy(), QatConfig.builder().bits(4).build());
        lp.train();
        Objective[] objectives = {new Supervised(lp, 0f), BlockReplacement.wrap(lp, fp, BrConfig.defaults())};
        SGD opt = new SGD(lp.trainableParameters(), 0.01, 0.9, 5e-4, false);
        Tensor images = Tensor.randn(new Rng(4), 128, 3, 32, 32);
        int[] labels = new int[128];
        for (int i = 0; i < 128; i++) {
            labels[i] = i % 10;
        }
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int step = 0; step < 16; step++) {
            for (int v = 0; v < 2; v++) {
                long t = System.nanoTime();
                try (TensorScope scope = TensorScope.open()) {
                    opt.zeroGrad();
                    objectives[v].startStep(step);
                    Tensor loss = objectives[v].forward(images, labels).loss();
                    loss.backward();
                    opt.step();
                    opt.zeroGrad();
                }
                double sec = (System.nanoTime() - t) / 1e9;
                if (step >= 4) {
                    best[v] = Math.min(best[v], sec);
                }
            }
        }
        result("resnet20_lsq4_module_step", 128 / best[0], "img/s");
        result("resnet20_lsq4_br_step", 128 / best[1], "img/s");
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
