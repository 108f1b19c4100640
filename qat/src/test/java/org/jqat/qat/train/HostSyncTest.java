package org.jqat.qat.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Rng;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.Module;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.br.BlockReplacement;
import org.jqat.qat.br.BrConfig;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.jqat.qat.quant.MinMaxQuantizer;
import org.junit.jupiter.api.Test;

/**
 * What a training step costs in host round trips and device memory, on the CUDA backend's
 * dry-run device (no GPU needed: memory is real, kernels are checked but not run, so the numbers
 * are exact while the arithmetic is not). Per step the host may wait for the device twice, for
 * the loss and for the logits of the metrics: no quantizer flag, BatchNorm statistic or
 * optimizer read-back per layer. The one exception is an affine min/max quantizer in training,
 * which reads back its new zero point (one value: the kernel takes it as an integer). And the step's scope must return
 * every block it took: live device blocks are the same after every step.
 */
class HostSyncTest {

    /** The dry-run device, installed reflectively: kernels-cuda is a runtime dependency of qat. */
    private static AutoCloseable dryRun() throws ReflectiveOperationException {
        Class<?> c = Class.forName("org.jqat.kernels.cuda.CudaDryRun");
        return (AutoCloseable) c.getMethod("install", long.class).invoke(null, 1L << 30);
    }

    private static long counter(Backend cuda, String method) {
        try {
            Object v = cuda.getClass().getMethod(method).invoke(cuda);
            if (v instanceof Long l) {
                return l;
            }
            return (Long) v.getClass().getMethod("liveBlocks").invoke(v); // allocatorStats()
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** Host syncs and live device blocks after each optimizer step of one epoch. */
    private record Trace(List<Long> syncsPerStep, List<Long> liveBlocks) {
    }

    private static Trace trace(Objective objective, List<ParamGroup> groups) {
        Backend cuda = Backends.forDevice(Device.CUDA);
        TrainConfig cfg = TrainConfig.builder().epochs(1).lr(0.02).seed(1).progress(false).device(Device.CUDA).build();
        List<Long> syncs = new ArrayList<>();
        List<Long> live = new ArrayList<>();
        long[] last = {counter(cuda, "hostSyncs")};
        try (DataLoader tr = TrainerTest.loader(true, 1)) {
            Trainer t = groups == null ? new Trainer(objective, tr, null, cfg) : new Trainer(objective, tr, null, cfg, groups);
            t.onStep(step -> {
                long now = counter(cuda, "hostSyncs");
                syncs.add(now - last[0]);
                last[0] = now;
                live.add(counter(cuda, "allocatorStats"));
            });
            t.fit();
        }
        return new Trace(syncs, live);
    }

    private static void check(String what, Trace t, long allowedPerStep) {
        System.err.printf("%s: host syncs per step %s, live device blocks after each step %s%n", what, t.syncsPerStep(), t.liveBlocks());
        assertEquals(6, t.syncsPerStep().size(), what + ": steps");
        // step 1 may initialise quantizers from the first batch (one download each)
        for (int s = 1; s < t.syncsPerStep().size(); s++) {
            assertTrue(t.syncsPerStep().get(s) <= allowedPerStep,
                    what + ": step " + (s + 1) + " waited for the device " + t.syncsPerStep().get(s) + " times (allowed "
                            + allowedPerStep + "); per step: " + t.syncsPerStep());
            assertEquals(t.liveBlocks().get(1), t.liveBlocks().get(s),
                    what + ": live device blocks after each step should not grow: " + t.liveBlocks());
        }
    }

    @Test
    void fullPrecisionTrainingWaitsOnlyForLossAndMetrics() throws Exception {
        try (AutoCloseable dry = dryRun()) {
            Module net = TrainerTest.smallNet(1).to(Device.CUDA);
            check("fp32", trace(new Supervised(net, 0), null), 2);
        }
    }

    @Test
    void qatStepsWaitOnlyForLossAndMetrics() throws Exception {
        try (AutoCloseable dry = dryRun()) {
            for (QatMethod method : QatMethod.values()) {
                for (boolean useBr : new boolean[] {false, true}) {
                    Module fp = new CifarResNet(1, 8, 3, CifarResNet.Shortcut.A, 1e-5f, 0.1f, new Rng(2));
                    Module lp = Qat.convert(fp, QatConfig.builder().method(method).bits(4).build()).to(Device.CUDA);
                    Objective objective = useBr ? BlockReplacement.wrap(lp, fp, BrConfig.defaults()) : new Supervised(lp, 0);
                    List<ParamGroup> groups = Qat.paramGroups(lp, 0.02, 5e-4, 0.01);
                    // an affine min/max quantizer reads its new zero point (an integer kernel argument) each step
                    long affine = lp.namedModules().values().stream()
                            .filter(m -> m instanceof MinMaxQuantizer q && !q.isSymmetric()).count();
                    check(method + (useBr ? " + BR" : ""), trace(objective, groups), 2 + affine);
                }
            }
        }
    }
}
