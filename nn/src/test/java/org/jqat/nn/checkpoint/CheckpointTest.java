package org.jqat.nn.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.StateDictException;
import org.jqat.nn.loss.CrossEntropyLoss;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.sched.CosineAnnealingLR;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints round-trip everything needed to resume, report mismatches, and survive a killed write. */
class CheckpointTest {

    @Test
    void roundTripResumesTraining(@TempDir Path dir) {
        Rng rng = new Rng(11);
        CifarResNet model = new CifarResNet(8, 10, CifarResNet.Shortcut.A, 1e-5f, 0.1f, rng);
        SGD opt = new SGD(model.parameters(), 0.1, 0.9, 5e-4, true);
        CosineAnnealingLR sched = new CosineAnnealingLR(opt, 10, 0);
        Tensor x = Tensor.randn(rng, 2, 3, 8, 8);
        int[] y = {1, 7};
        trainStep(model, opt, x, y);
        sched.step();
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.save(file, model, opt, sched, 3, rng, Map.of("run", "test"));

        CifarResNet model2 = new CifarResNet(8, 10, CifarResNet.Shortcut.A, 1e-5f, 0.1f, new Rng(99));
        SGD opt2 = new SGD(model2.parameters(), 0.5, 0.9, 5e-4, true);
        CosineAnnealingLR sched2 = new CosineAnnealingLR(opt2, 10, 0);
        Rng rng2 = new Rng(0);
        Checkpoint.LoadResult r = Checkpoint.load(file, model2, opt2, sched2, rng2, true);
        assertTrue(r.isClean(), r.toString());
        assertEquals(3, r.epoch());
        assertEquals(Map.of("run", "test"), r.metadata());
        assertEquals(1, sched2.lastEpoch());
        assertEquals(rng.nextLong(), rng2.nextLong());
        // One more identical step on both gives identical parameters (momentum buffers restored).
        sched.step();
        sched2.step();
        trainStep(model, opt, x, y);
        trainStep(model2, opt2, x, y);
        model.stateDict().forEach((k, t) -> assertArrayEquals(t.toFloatArray(), model2.stateDict().get(k).toFloatArray(), k));
    }

    private static void trainStep(CifarResNet m, SGD opt, Tensor x, int[] y) {
        opt.zeroGrad();
        new CrossEntropyLoss(0.1f).forward(m.forward(x), y).backward();
        opt.step();
    }

    @Test
    void strictAndLenientLoads(@TempDir Path dir) {
        Path file = dir.resolve("c.safetensors");
        Checkpoint.save(file, CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(1)), null, null, 0, null, Map.of());
        CifarResNet other = CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(2));
        StateDictException e = assertThrows(StateDictException.class, () -> Checkpoint.load(file, other, null, null, null, true));
        assertTrue(e.report().unexpected().contains("layer2.0.downsample.0.weight"), e.getMessage());
        Checkpoint.LoadResult r = Checkpoint.load(file, other, null, null, null, false);
        assertFalse(r.isClean());
        assertEquals(10, r.model().unexpected().size());
        assertTrue(r.model().missing().isEmpty());
    }

    @Test
    void killedWriteLeavesThePreviousCheckpointIntact(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("ckpt.safetensors");
        int n = 24 << 20; // 96 MiB of floats: long enough a write to kill in the middle
        Checkpoint.write(file, new Checkpoint.Contents(Map.of("weight", Tensor.full(1f, 1024)), Map.of(), Map.of(), 1, null, Map.of()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx1g", "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), CheckpointWriterMain.class.getName(), file.toString(),
                Integer.toString(n), "2").redirectErrorStream(true).start();
        boolean sawTemp = false;
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (tempFiles(dir).stream().anyMatch(t -> size(t) > 0)) {
                sawTemp = true;
                break;
            }
            Thread.onSpinWait();
        }
        p.destroyForcibly();
        p.waitFor();
        assertTrue(sawTemp, "the writer never started its temporary file");
        // Whatever the moment of the kill, the checkpoint is complete: the old one or a whole new one.
        Checkpoint.Contents c = Checkpoint.read(file);
        float[] w = c.model().get("weight").toFloatArray();
        System.out.println("killed writer left epoch " + c.epoch() + " (1 = the previous checkpoint, 2 = a complete new one)");
        if (c.epoch() == 1) {
            assertEquals(1024, w.length);
            for (float v : w) {
                assertEquals(1f, v);
            }
        } else {
            assertEquals(2, c.epoch());
            assertEquals(n, w.length);
        }
        // The next save replaces it normally even with a stale temporary file left by the killed writer.
        Checkpoint.write(file, new Checkpoint.Contents(Map.of("weight", Tensor.full(3f, 8)), Map.of(), Map.of(), 3, null, Map.of()));
        assertEquals(3, Checkpoint.read(file).epoch());
    }

    @Test
    void failedWriteKeepsPreviousFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        Checkpoint.write(file, new Checkpoint.Contents(Map.of("w", Tensor.full(1f, 4)), Map.of(), Map.of(), 1, null, Map.of()));
        // A directory in place of the target makes the final rename fail after the temporary file was written.
        Path blocked = dir.resolve("blocked.safetensors");
        Files.createDirectories(blocked.resolve("inside"));
        assertThrows(RuntimeException.class, () -> Checkpoint.write(blocked,
                new Checkpoint.Contents(Map.of("w", Tensor.full(2f, 4)), Map.of(), Map.of(), 2, null, Map.of())));
        assertEquals(List.of(), tempFiles(dir));
        assertEquals(1, Checkpoint.read(file).epoch());
    }

    private static List<Path> tempFiles(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long size(Path f) {
        try {
            return Files.size(f);
        } catch (IOException e) {
            return 0;
        }
    }
}
