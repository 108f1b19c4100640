package org.jqat.qat.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.Dataset;
import org.jqat.datasets.Example;
import org.jqat.datasets.transforms.RandomHorizontalFlip;
import org.jqat.datasets.transforms.ToTensor;
import org.jqat.datasets.transforms.Transform;
import org.jqat.nn.Module;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.AdaptiveAvgPool2d;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Dropout;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.ReLU;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    /** 96 images of 1×8×8 whose class (0..2) is which third of the image is bright. */
    static Dataset stripes() {
        return new Dataset() {
            @Override
            public int size() {
                return 96;
            }

            @Override
            public Example get(int index) {
                Rng r = new Rng(index);
                int label = index % 3;
                byte[] px = new byte[64];
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        int bright = y * 3 / 8 == label ? 160 : 40;
                        px[y * 8 + x] = (byte) (bright + r.nextInt(60));
                    }
                }
                return new Example(px, 1, 8, 8, label);
            }

            @Override
            public int[] imageShape() {
                return new int[] {1, 8, 8};
            }

            @Override
            public int numClasses() {
                return 3;
            }

            @Override
            public List<String> classNames() {
                return List.of("top", "middle", "bottom");
            }
        };
    }

    static Module smallNet(long seed) {
        Rng rng = new Rng(seed);
        return new Sequential(new Conv2d(1, 6, 3, 1, 1, false, rng), new BatchNorm2d(6), new ReLU(),
                new Conv2d(6, 6, 3, 2, 1, false, rng), new BatchNorm2d(6), new ReLU(), new Dropout(0.2f, new Rng(seed + 1)),
                new AdaptiveAvgPool2d(1), new Flatten(), new Linear(6, 3, rng));
    }

    static DataLoader loader(boolean train, int workers) {
        Transform t = new ToTensor();
        if (train) {
            t = t.then(new RandomHorizontalFlip());
        }
        return DataLoader.builder(stripes()).batchSize(16).shuffle(train).dropLast(train).seed(7)
                .transform(t).workers(workers).build();
    }

    static TrainConfig config(Path out, int epochs) {
        return TrainConfig.builder().epochs(epochs).lr(0.05).seed(3).outputDir(out).resume(true).progress(false).build();
    }

    private static float[] weights(Module m) {
        int n = 0;
        for (Tensor t : m.stateDict().values()) {
            n += t.numel();
        }
        float[] all = new float[n];
        int k = 0;
        for (Tensor t : m.stateDict().values()) {
            float[] v = t.toFloatArray();
            System.arraycopy(v, 0, all, k, v.length);
            k += v.length;
        }
        return all;
    }

    @Test
    void lossFallsAndMetricsAreWritten(@TempDir Path dir) throws Exception {
        Module model = smallNet(1);
        try (DataLoader tr = loader(true, 2); DataLoader te = loader(false, 1)) {
            Trainer trainer = new Trainer(new Supervised(model, 0), tr, te, config(dir, 4));
            Trainer.Result r = trainer.fit();
            List<Map<String, Object>> h = trainer.history();
            assertEquals(4, h.size());
            double first = ((Number) h.get(0).get("train_loss")).doubleValue();
            double last = ((Number) h.get(3).get("train_loss")).doubleValue();
            assertTrue(last < first, "train loss should fall: " + first + " -> " + last);
            assertTrue(r.bestTop1() >= r.lastTop1());
        }
        assertEquals(4, Files.readAllLines(dir.resolve(Trainer.METRICS)).size());
        assertTrue(Files.exists(dir.resolve(Trainer.LAST)));
        assertTrue(Files.exists(dir.resolve(Trainer.BEST)));
    }

    @Test
    void resumeAfterAKillMidEpochIsBitIdentical(@TempDir Path dir) {
        Path straight = dir.resolve("straight");
        Path interrupted = dir.resolve("interrupted");
        Module a = smallNet(5);
        try (DataLoader tr = loader(true, 2); DataLoader te = loader(false, 1)) {
            new Trainer(new Supervised(a, 0.1f), tr, te, config(straight, 3)).fit();
        }
        // Same run killed in the middle of epoch 2 (after 8 of 18 steps) ...
        Module b = smallNet(5);
        try (DataLoader tr = loader(true, 1); DataLoader te = loader(false, 1)) {
            Trainer t = new Trainer(new Supervised(b, 0.1f), tr, te, config(interrupted, 3));
            t.onStep(step -> {
                if (step == 6 + 2) {
                    throw new IllegalStateException("simulated kill");
                }
            });
            assertThrows(IllegalStateException.class, t::fit);
        }
        // ... and restarted in a fresh process state from its last checkpoint.
        Module c = smallNet(99);
        try (DataLoader tr = loader(true, 3); DataLoader te = loader(false, 1)) {
            new Trainer(new Supervised(c, 0.1f), tr, te, config(interrupted, 3)).fit();
        }
        assertArrayEquals(weights(a), weights(c), "resumed weights must equal the uninterrupted run's bit for bit");
    }

    /**
     * An epoch's recorded rate counts its training batches only: evaluating a slow test set
     * (0.4 s here) and committing the checkpoint come after its clock stops.
     */
    @Test
    void theTrainingRateLeavesOutEvaluation(@TempDir Path dir) throws Exception {
        Dataset slow = new Dataset() {
            private final Dataset inner = stripes();

            @Override
            public int size() {
                return 40;
            }

            @Override
            public Example get(int index) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return inner.get(index);
            }

            @Override
            public int[] imageShape() {
                return inner.imageShape();
            }

            @Override
            public int numClasses() {
                return inner.numClasses();
            }

            @Override
            public List<String> classNames() {
                return inner.classNames();
            }
        };
        long[] lastStep = new long[1];
        long started = System.nanoTime();
        try (DataLoader tr = loader(true, 1);
             DataLoader te = DataLoader.builder(slow).batchSize(8).transform(new ToTensor()).workers(1).build()) {
            Trainer t = new Trainer(new Supervised(smallNet(3), 0), tr, te, config(dir, 1));
            t.onStep(step -> lastStep[0] = System.nanoTime());
            t.fit();
            double trainSeconds = ((Number) t.history().get(0).get("train_seconds")).doubleValue();
            double upToLastStep = (lastStep[0] - started) / 1e9;
            assertTrue(trainSeconds <= upToLastStep + 0.1, "train_seconds " + trainSeconds + " counts more than the "
                    + upToLastStep + " s up to the last step: the evaluation's 0.4 s went in");
            double rate = ((Number) t.history().get(0).get("train_images_per_s")).doubleValue();
            assertEquals(tr.batchesPerEpoch() * 16 / trainSeconds, rate, rate * 1e-9);
        }
    }

    @Test
    void finishedMetricsStopTheirClock() throws Exception {
        Metrics m = new Metrics();
        m.add(1f, Tensor.of(new float[] {1f, 0f}, 1, 2), new int[] {0});
        double at = m.finish().seconds();
        Thread.sleep(30);
        assertEquals(at, m.seconds());
        assertEquals(at, m.finish().seconds(), "a second finish changes nothing");
        assertEquals(1 / at, m.imagesPerSecond(), 1e-9 / at);
    }

    /** Objectives see the global step before each forward, the same numbers after a resume. */
    @Test
    void objectivesSeeTheGlobalStepAcrossAResume(@TempDir Path dir) {
        List<Long> seen = new java.util.ArrayList<>();
        java.util.function.Function<Module, Objective> recording = m -> new Objective() {
            private final Supervised inner = new Supervised(m, 0);

            @Override
            public Module model() {
                return m;
            }

            @Override
            public void startStep(long globalStep) {
                seen.add(globalStep);
            }

            @Override
            public StepResult forward(Tensor images, int[] labels) {
                return inner.forward(images, labels);
            }
        };
        int perEpoch;
        try (DataLoader tr = loader(true, 1); DataLoader te = loader(false, 1)) {
            perEpoch = tr.batchesPerEpoch();
            Trainer t = new Trainer(recording.apply(smallNet(5)), tr, te, config(dir, 2));
            t.onStep(step -> {
                if (step == perEpoch + 2) {
                    throw new IllegalStateException("simulated kill");
                }
            });
            assertThrows(IllegalStateException.class, t::fit);
        }
        assertEquals(java.util.stream.LongStream.range(0, perEpoch + 2).boxed().toList(), seen);
        seen.clear();
        try (DataLoader tr = loader(true, 1); DataLoader te = loader(false, 1)) {
            new Trainer(recording.apply(smallNet(5)), tr, te, config(dir, 2)).fit();
        }
        assertEquals(java.util.stream.LongStream.range(perEpoch, 2L * perEpoch).boxed().toList(), seen,
                "resumed from the end of epoch 1");
    }

    @Test
    void aDivergingLossStopsWithTheStep(@TempDir Path dir) {
        Module model = smallNet(2);
        try (DataLoader tr = loader(true, 1)) {
            TrainConfig cfg = TrainConfig.builder().epochs(2).lr(1e30).momentum(0).nesterov(false).seed(1).outputDir(dir).progress(false).build();
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> new Trainer(new Supervised(model, 0), tr, null, cfg).fit());
            assertTrue(e.getMessage().contains("step"), e.getMessage());
        }
    }

    @Test
    void nonFiniteLogitsStopEvaluationInsteadOfScoring() {
        Module model = smallNet(2);
        String key = model.stateDict().entrySet().stream().filter(e -> e.getValue().shape().length == 2)
                .map(Map.Entry::getKey).findFirst().orElseThrow(); // the Linear layer's weight
        Tensor w = model.stateDict().get(key);
        float[] huge = new float[w.numel()];
        java.util.Arrays.fill(huge, Float.POSITIVE_INFINITY);
        model.loadStateDict(Map.of(key, Tensor.of(huge, w.shape())), false);
        try (DataLoader te = loader(false, 1)) {
            Trainer t = new Trainer(new Supervised(model, 0), te, null, TrainConfig.builder().epochs(1).progress(false).build());
            RuntimeException e = assertThrows(RuntimeException.class, () -> t.evaluate(te, "eval"));
            assertTrue(e.getMessage().contains("not finite"), e.getMessage());
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().epochs(0).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().lr(-1).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().momentum(1.5).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().momentum(Double.NaN).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().weightDecay(Double.POSITIVE_INFINITY).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().gamma(Double.NaN).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().milestones(List.of(5, -1)).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().stepSize(-5).build());
        assertThrows(IllegalArgumentException.class, () -> Schedule.parse("sawtooth"));
    }
}
