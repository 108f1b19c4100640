package org.jqat.qat.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.jqat.core.io.SafetensorsException;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.SafetensorsWriter;
import org.jqat.core.io.TensorEntry;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.checkpoint.Checkpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The run directory's rules, in one process: settings checks on resume, fresh starts, leftovers, damaged records. */
class RunDirectoryTest {

    private static Trainer.Result run(Path out, TrainConfig cfg, Set<String> mayChange) {
        try (DataLoader tr = TrainerTest.loader(true, 1); DataLoader te = TrainerTest.loader(false, 1)) {
            return new Trainer(new Supervised(TrainerTest.smallNet(5), 0.1f), tr, te, cfg)
                    .runSettings(Map.of("model", "small"), mayChange).fit();
        }
    }

    private static TrainConfig.Builder base(Path out, int epochs) {
        return TrainConfig.builder().epochs(epochs).lr(0.05).seed(3).outputDir(out).resume(true).progress(false);
    }

    @Test
    void aResumeWithOtherSettingsIsRefusedNamingEachOne(@TempDir Path out) throws Exception {
        run(out, base(out, 1).build(), Set.of());
        String config = Files.readString(out.resolve(RunDirectory.CONFIG));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(out, base(out, 2).seed(4).momentum(0.8).build(), Set.of()));
        assertTrue(e.getMessage().contains("seed 3 -> 4") && e.getMessage().contains("momentum 0.9 -> 0.8")
                && e.getMessage().contains("epochs 1 -> 2"), e.getMessage());
        assertEquals(config, Files.readString(out.resolve(RunDirectory.CONFIG)), "a refused resume must not rewrite config.json");
        // epochs may change when the caller allows it; the run continues to epoch 2
        Trainer.Result r = run(out, base(out, 2).build(), Set.of("epochs"));
        assertEquals(2, Checkpoint.read(out.resolve(RunDirectory.LAST)).epoch());
        assertEquals(2, Files.readAllLines(out.resolve(RunDirectory.METRICS)).size());
        assertTrue(Double.isFinite(r.lastTop1()));
    }

    @Test
    void epochsBelowTheFinishedCountAreRefusedAndEqualReportsTheStoredResult(@TempDir Path out) {
        Trainer.Result first = run(out, base(out, 2).build(), Set.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> run(out, base(out, 1).build(), Set.of("epochs")));
        assertTrue(e.getMessage().contains("--epochs 1 is below the 2 epochs"), e.getMessage());
        Trainer.Result again = run(out, base(out, 2).build(), Set.of());
        assertEquals(first.lastTop1(), again.lastTop1(), "a finished run reports its result, not NaN");
        assertEquals(first.bestTop1(), again.bestTop1());
    }

    @Test
    void aFreshStartReplacesThePreviousRunsFilesAndLeftoversAreRemoved(@TempDir Path out) throws Exception {
        run(out, base(out, 2).build(), Set.of());
        Files.writeString(out.resolve(".last.safetensors.1a2b3c.tmp"), "partial");
        Files.writeString(out.resolve("notes.tmp"), "the user's own file");
        run(out, base(out, 1).seed(9).resume(false).build(), Set.of());
        assertEquals(1, Files.readAllLines(out.resolve(RunDirectory.METRICS)).size(), "--no-resume must not append to the old rows");
        assertEquals(1, Checkpoint.read(out.resolve(RunDirectory.BEST)).epoch());
        assertFalse(Files.exists(out.resolve(".last.safetensors.1a2b3c.tmp")));
        assertTrue(Files.exists(out.resolve("notes.tmp")));
        assertTrue(Files.readString(out.resolve(RunDirectory.CONFIG)).contains("\"seed\":9"));
    }

    @Test
    void aDamagedMetricsFileIsRewrittenFromTheCommitRecord(@TempDir Path out) throws Exception {
        run(out, base(out, 1).build(), Set.of());
        String good = Files.readString(out.resolve(RunDirectory.METRICS));
        Files.writeString(out.resolve(RunDirectory.METRICS), good + good + "{\"epoch\": 7, garbage\n");
        run(out, base(out, 2).build(), Set.of("epochs"));
        var lines = Files.readAllLines(out.resolve(RunDirectory.METRICS));
        assertEquals(2, lines.size(), lines.toString());
        assertEquals(good.strip(), lines.get(0));
    }

    @Test
    void damagedCheckpointMetadataIsNamed(@TempDir Path out) throws Exception {
        run(out, base(out, 1).build(), Set.of());
        Path last = out.resolve(RunDirectory.LAST);
        for (String bad : new String[] {"abc", "-3"}) {
            rewriteMetadata(last, Checkpoint.EPOCH, bad);
            SafetensorsException e = assertThrows(SafetensorsException.class, () -> run(out, base(out, 2).build(), Set.of("epochs")));
            assertTrue(e.getMessage().contains(last.toString()) && e.getMessage().contains("jqat.epoch")
                    && e.getMessage().contains(bad), e.getMessage());
        }
        rewriteMetadata(last, Checkpoint.EPOCH, "5");
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> run(out, base(out, 6).build(), Set.of("epochs")));
        assertTrue(e.getMessage().contains("holds 1 epochs"), e.getMessage());
    }

    @Test
    void aRunFromBeforeTheCommitRecordResumesFromItsMetricsFile(@TempDir Path out) throws Exception {
        run(out, base(out, 1).build(), Set.of());
        Path last = out.resolve(RunDirectory.LAST);
        rewriteMetadata(last, RunDirectory.METRICS_KEY, null);
        rewriteMetadata(last, RunDirectory.SETTINGS_KEY, null);
        String row = Files.readString(out.resolve(RunDirectory.METRICS));
        Files.writeString(out.resolve(RunDirectory.METRICS), row + row); // the old appender repeated a resumed epoch
        run(out, base(out, 2).build(), Set.of());
        assertEquals(2, Files.readAllLines(out.resolve(RunDirectory.METRICS)).size());
        Files.delete(out.resolve(RunDirectory.METRICS));
        rewriteMetadata(last, RunDirectory.METRICS_KEY, null);
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> run(out, base(out, 3).build(), Set.of("epochs")));
        assertTrue(e.getMessage().contains("--no-resume"), e.getMessage());
    }

    @Test
    void checkpointsWithTheSameContentAreByteIdentical(@TempDir Path dir) throws Exception {
        var model = TrainerTest.smallNet(1);
        Checkpoint.save(dir.resolve("a.safetensors"), model, null, null, 1, null,
                new java.util.LinkedHashMap<>(Map.of("x", "1", "y", "2", "z", "3")));
        java.util.Map<String, String> reversed = new java.util.LinkedHashMap<>();
        reversed.put("z", "3");
        reversed.put("y", "2");
        reversed.put("x", "1");
        Checkpoint.save(dir.resolve("b.safetensors"), model, null, null, 1, null, reversed);
        assertEquals(-1L, Files.mismatch(dir.resolve("a.safetensors"), dir.resolve("b.safetensors")));
    }

    /** Rewrites (or with a null value removes) one metadata entry of a safetensors file, keeping its tensors. */
    static void rewriteMetadata(Path file, String key, String value) {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            f.metadata().forEach((k, v) -> {
                if (!k.equals(key)) {
                    w.metadata(k, v);
                }
            });
            if (value != null) {
                w.metadata(key, value);
            }
            for (String n : f.names()) {
                TensorEntry e = f.get(n);
                w.add(e);
            }
            w.write(file.resolveSibling(file.getFileName() + ".new"));
        }
        try {
            Files.move(file.resolveSibling(file.getFileName() + ".new"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
