package org.jqat.qat.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.Module;
import org.jqat.nn.StateDictException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trainer as a library: bounded runs, no output of its own, evaluation and objectives without it, save/load. */
class TrainerLibraryTest {
    @TempDir
    Path tmp;

    @Test
    void libraryDefaultsNeitherResumeNorDrawProgress() {
        TrainConfig c = TrainConfig.builder().build();
        assertFalse(c.resume(), "a program run twice must not pick up the previous run's weights");
        assertFalse(c.progress());
        assertEquals(0, c.maxSteps());
    }

    @Test
    void maxStepsStopsInsideAnEpochAndReportsEachEpoch() {
        try (DataLoader tr = TrainerTest.loader(true, 0); DataLoader te = TrainerTest.loader(false, 0)) {
            int perEpoch = tr.batchesPerEpoch(); // 96 images / 16 = 6
            List<Map<String, Object>> epochs = new ArrayList<>();
            List<Integer> steps = new ArrayList<>();
            TrainConfig cfg = TrainConfig.builder().epochs(5).lr(0.05).seed(3).maxSteps(perEpoch + 2).build();
            Trainer t = new Trainer(new Supervised(TrainerTest.smallNet(5), 0), tr, te, cfg).onEpoch(epochs::add).onStep(steps::add);
            Trainer.Result r = t.fit();
            assertEquals(perEpoch + 2, t.steps());
            assertEquals(2, r.epochs(), "one whole epoch, then 2 steps of the second");
            assertEquals(2, epochs.size());
            assertEquals(2, ((Number) epochs.get(1).get("epoch")).intValue());
            assertEquals(perEpoch + 2, steps.get(steps.size() - 1));
            assertTrue(Double.isFinite(r.lastTop1()));
        }
    }

    @Test
    void maxStepsWithARunDirectoryIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.builder().maxSteps(10).outputDir(tmp.resolve("run")).build());
        assertTrue(e.getMessage().contains("maxSteps") && e.getMessage().contains("outputDir"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().maxSteps(-1).build());
    }

    @Test
    void trainingPrintsNothingAndReportsThroughItsLogger() {
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        // The trainer's logger, seen alone: what it logs is recorded here and reaches no console.
        Logger log = Logger.getLogger(Trainer.LOGGER);
        Level level = log.getLevel();
        boolean parents = log.getUseParentHandlers();
        List<LogRecord> records = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.setLevel(Level.ALL);
        log.setUseParentHandlers(false);
        log.addHandler(handler);
        try (DataLoader tr = TrainerTest.loader(true, 0); DataLoader te = TrainerTest.loader(false, 0)) {
            PrintStream p = new PrintStream(captured, true, StandardCharsets.UTF_8);
            System.setErr(p);
            System.setOut(p);
            TrainConfig cfg = TrainConfig.builder().epochs(2).lr(0.05).seed(3).outputDir(tmp.resolve("run")).build();
            new Trainer(new Supervised(TrainerTest.smallNet(5), 0), tr, te, cfg).fit();
            // a second run in the same directory starts afresh (resume is off by default)
            Trainer.Result again = new Trainer(new Supervised(TrainerTest.smallNet(5), 0), tr, te, cfg).fit();
            assertEquals(2, again.epochs());
        } finally {
            System.setErr(err);
            System.setOut(out);
            log.removeHandler(handler);
            log.setUseParentHandlers(parents);
            log.setLevel(level);
        }
        assertEquals("", captured.toString(StandardCharsets.UTF_8), "the trainer itself prints nothing");
        List<String> epochLines = records.stream().filter(r -> r.getMessage().startsWith("epoch ")).map(LogRecord::getMessage).toList();
        assertEquals(4, epochLines.size(), epochLines.toString());
        assertTrue(records.stream().filter(r -> r.getMessage().startsWith("epoch ")).allMatch(r -> r.getLevel() == Level.FINE),
                "epoch summaries are DEBUG: silent under a default logging setup");
        assertTrue(records.stream().anyMatch(r -> r.getLevel() == Level.INFO && r.getMessage().startsWith("starting afresh")),
                "replacing a previous run's files is worth an INFO line");
    }

    @Test
    void evaluationNeedsNoTrainerAndAgreesWithIt() {
        try (DataLoader tr = TrainerTest.loader(true, 0); DataLoader te = TrainerTest.loader(false, 0)) {
            Module model = TrainerTest.smallNet(5);
            Metrics viaTrainer = new Trainer(new Supervised(model, 0), tr, te, TrainConfig.builder().epochs(1).build())
                    .evaluate(te, "test");
            Metrics alone = Evaluation.evaluate(model, te);
            assertEquals(viaTrainer.loss(), alone.loss(), 0);
            assertEquals(viaTrainer.top1(), alone.top1(), 0);
            assertEquals(96, alone.count());
            assertTrue(model.isTraining(), "evaluation restores the training mode");
        }
    }

    @Test
    void objectivesRunOnTensors() {
        Module model = TrainerTest.smallNet(5);
        Tensor x = Tensor.randn(new Rng(1), 4, 1, 8, 8);
        int[] y = {0, 1, 2, 0};
        Objective.StepResult r = new Supervised(model, 0).forward(x, y);
        r.loss().backward();
        assertArrayEquals(new int[] {4, 3}, r.logits().shape());
        assertTrue(model.trainableParameters().get(0).grad() != null);
        Metrics m = Evaluation.evaluate(model, x, y);
        assertEquals(4, m.count());
        assertThrows(IllegalArgumentException.class, () -> Evaluation.evaluate(model, x, new int[3]));
    }

    @Test
    void moduleSaveAndLoadRoundTrip() {
        Module a = TrainerTest.smallNet(5);
        Path file = tmp.resolve("model.safetensors");
        a.save(file);
        Module b = TrainerTest.smallNet(99).load(file);
        for (var e : a.stateDict().entrySet()) {
            assertArrayEquals(e.getValue().toFloatArray(), b.stateDict().get(e.getKey()).toFloatArray(), 0f, e.getKey());
        }
        Module other = new org.jqat.nn.Sequential(new org.jqat.nn.layers.Linear(3, 3, new Rng(0)));
        assertThrows(StateDictException.class, () -> other.load(file));
    }
}
