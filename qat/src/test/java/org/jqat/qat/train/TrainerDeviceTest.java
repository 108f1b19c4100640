package org.jqat.qat.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.Module;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.br.BrConfig;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TrainConfig#device()}: the trainer's device checks (run everywhere), and training,
 * checkpointing, resuming and QAT on CUDA (skipped with the reason when no GPU is usable).
 */
class TrainerDeviceTest {

    /** Skips the calling test unless a CUDA backend is usable, with its reason. */
    static void requireCuda() {
        String why = "no CUDA backend on the class path";
        for (Backend b : Backends.all()) {
            if (b.device() == Device.CUDA) {
                why = b.unavailableReason();
                if (why == null) {
                    break;
                }
            }
        }
        String reason = why;
        Assumptions.assumeTrue(reason == null, () -> "CUDA backend unavailable: " + reason);
    }

    @Test
    void deviceDefaultsToCpu() {
        assertEquals(Device.CPU, TrainConfig.builder().build().device());
    }

    @Test
    void aModelOnAnotherDeviceIsRejectedBeforeTraining() {
        Module model = TrainerTest.smallNet(1);
        TrainConfig cfg = TrainConfig.builder().epochs(1).progress(false).device(Device.CUDA).build();
        try (DataLoader tr = TrainerTest.loader(true, 1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new Trainer(new Supervised(model, 0), tr, null, cfg));
            assertTrue(e.getMessage().contains("model.to(Device.CUDA)"), e.getMessage());
        }
    }

    @Test
    void staleParameterGroupsAreRejected() {
        requireCuda();
        Module model = TrainerTest.smallNet(1);
        List<ParamGroup> stale = List.of(new ParamGroup("default", model.trainableParameters(), 0.05, 0));
        model.to(Device.CUDA);
        TrainConfig cfg = TrainConfig.builder().epochs(1).progress(false).device(Device.CUDA).build();
        try (DataLoader tr = TrainerTest.loader(true, 1)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> new Trainer(new Supervised(model, 0), tr, null, cfg, stale));
            assertTrue(e.getMessage().contains("build the parameter groups after"), e.getMessage());
        }
    }

    private static float[] flat(Module m) {
        return m.stateDict().values().stream().map(Tensor::toFloatArray).reduce(new float[0], (a, b) -> {
            float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, c, a.length, b.length);
            return c;
        });
    }

    /**
     * Two epochs on CUDA end where two epochs on the CPU do (float32 GEMM/conv accumulation on
     * the GPU against the host backend: 1e-3 relative, see CudaResNetTrainingTest), including an
     * interrupted run resumed from its checkpoint (model and momentum buffers reloaded onto CUDA).
     */
    @Test
    void trainsAndResumesOnCudaAsOnTheCpu(@TempDir Path dir) {
        requireCuda();
        Module cpu = TrainerTest.smallNet(1);
        Module gpu = TrainerTest.smallNet(1).to(Device.CUDA);
        try (DataLoader tr = TrainerTest.loader(true, 1); DataLoader te = TrainerTest.loader(false, 1)) {
            TrainConfig c1 = TrainConfig.builder().epochs(2).lr(0.05).seed(3).outputDir(dir.resolve("cpu")).progress(false).build();
            new Trainer(new Supervised(cpu, 0), tr, te, c1).fit();
            TrainConfig g1 = TrainConfig.builder().epochs(1).lr(0.05).seed(3).outputDir(dir.resolve("gpu")).progress(false)
                    .device(Device.CUDA).build();
            new Trainer(new Supervised(gpu, 0), tr, te, g1).fit();
            // "restart": a fresh model on the GPU resumes epoch 2 from last.safetensors
            Module resumed = TrainerTest.smallNet(1).to(Device.CUDA);
            TrainConfig g2 = TrainConfig.builder().epochs(2).lr(0.05).seed(3).outputDir(dir.resolve("gpu")).resume(true).progress(false)
                    .device(Device.CUDA).build();
            Trainer.Result r = new Trainer(new Supervised(resumed, 0), tr, te, g2).fit();
            assertTrue(Double.isFinite(r.lastLoss()));
            assertEquals(Device.CUDA, resumed.device());
            float[] a = flat(cpu);
            float[] b = flat(resumed);
            for (int i = 0; i < a.length; i++) {
                if (!(Math.abs(a[i] - b[i]) <= 1e-3 * (1 + Math.abs(a[i])))) {
                    fail("state value " + i + ": cpu " + a[i] + " vs cuda " + b[i]);
                }
            }
        }
    }

    /** Every QAT method, plain and with block replacement, trains on CUDA (FP copy placed there too). */
    @Test
    void qatAndBlockReplacementRunOnCuda(@TempDir Path dir) {
        requireCuda();
        for (QatMethod method : QatMethod.values()) {
            for (boolean useBr : new boolean[] {false, true}) {
                Module fp = new CifarResNet(1, 8, 3, CifarResNet.Shortcut.A, 1e-5f, 0.1f, new Rng(2));
                try (DataLoader tr = TrainerTest.loader(true, 1); DataLoader te = TrainerTest.loader(false, 1)) {
                    TrainConfig cfg = TrainConfig.builder().epochs(1).lr(0.02).seed(1).progress(false)
                            .outputDir(dir.resolve(method + "-" + useBr)).device(Device.CUDA).build();
                    QatRun.Outcome o = QatRun.run(fp, QatConfig.builder().method(method).bits(4).build(),
                            useBr ? BrConfig.defaults() : null, tr, te, cfg, 0.01);
                    String what = method + (useBr ? " + BR" : "");
                    assertEquals(Device.CUDA, o.model().device(), what);
                    assertEquals(Device.CPU, fp.device(), what + ": the caller's FP model stays put");
                    assertTrue(Double.isFinite(o.result().lastLoss()), what + ": " + o.result());
                    Map<String, Object> last = o.history().get(o.history().size() - 1);
                    assertTrue(Double.isFinite(((Number) last.get("train_loss")).doubleValue()), what + ": " + last);
                }
            }
        }
    }
}
