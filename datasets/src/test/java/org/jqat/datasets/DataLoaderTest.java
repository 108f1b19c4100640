package org.jqat.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jqat.datasets.transforms.Compose;
import org.jqat.datasets.transforms.RandomCrop;
import org.jqat.datasets.transforms.RandomHorizontalFlip;
import org.jqat.datasets.transforms.ToTensor;
import org.jqat.datasets.transforms.Transform;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    /** n samples of 3x8x8; pixels derived from the index, label = index % 10. */
    static Dataset synthetic(int n) {
        return new Dataset() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public Example get(int index) {
                byte[] px = new byte[3 * 8 * 8];
                for (int i = 0; i < px.length; i++) {
                    px[i] = (byte) (index * 13 + i * 7);
                }
                return new Example(px, 3, 8, 8, index % 10);
            }

            @Override
            public int[] imageShape() {
                return new int[] {3, 8, 8};
            }

            @Override
            public int numClasses() {
                return 10;
            }

            @Override
            public List<String> classNames() {
                return ClassNames.MNIST;
            }
        };
    }

    private static final Transform AUG = Compose.of(new ToTensor(), new RandomCrop(8, 2), new RandomHorizontalFlip());

    private static DataLoader loader(Dataset ds, int workers, boolean dropLast) {
        return DataLoader.builder(ds).batchSize(7).shuffle(true).seed(1234).dropLast(dropLast)
                .transform(AUG).workers(workers).prefetch(3).build();
    }

    private static List<Batch> all(DataLoader l, int epoch, int start) {
        List<Batch> out = new ArrayList<>();
        try (DataLoader.Epoch it = l.epoch(epoch, start)) {
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return out;
    }

    private static void assertSameBatches(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).index(), b.get(i).index());
            assertArrayEquals(a.get(i).indices(), b.get(i).indices());
            assertArrayEquals(a.get(i).labels(), b.get(i).labels());
            assertArrayEquals(a.get(i).images().shape(), b.get(i).images().shape());
            assertArrayEquals(a.get(i).images().toFloatArray(), b.get(i).images().toFloatArray());
        }
    }

    @Test
    void sameSeedSameBatchesForAnyWorkerCount() {
        Dataset ds = synthetic(50);
        List<Batch> ref;
        try (DataLoader l = loader(ds, 0, false)) {
            ref = all(l, 3, 0);
        }
        assertEquals(8, ref.size());
        assertArrayEquals(new int[] {7, 3, 8, 8}, ref.get(0).images().shape());
        assertArrayEquals(new int[] {1, 3, 8, 8}, ref.get(7).images().shape());
        for (int w : new int[] {1, 2, 5}) {
            try (DataLoader l = loader(ds, w, false)) {
                assertSameBatches(ref, all(l, 3, 0));
            }
        }
        // Every sample appears exactly once per epoch, with its own label.
        Set<Integer> seen = new HashSet<>();
        for (Batch b : ref) {
            for (int k = 0; k < b.size(); k++) {
                assertTrue(seen.add(b.indices()[k]));
                assertEquals(b.indices()[k] % 10, b.labels()[k]);
            }
        }
        assertEquals(50, seen.size());
    }

    @Test
    void epochsDifferAndNoShuffleIsInOrder() {
        Dataset ds = synthetic(30);
        try (DataLoader l = loader(ds, 2, false)) {
            assertFalse(Arrays.equals(l.order(0), l.order(1)));
            assertFalse(Arrays.equals(all(l, 0, 0).get(0).indices(), all(l, 1, 0).get(0).indices()));
        }
        try (DataLoader l = DataLoader.builder(ds).batchSize(4).build()) {
            List<Batch> bs = all(l, 0, 0);
            assertArrayEquals(new int[] {0, 1, 2, 3}, bs.get(0).indices());
            // No transform: raw 0..255 values.
            assertEquals(ds.get(0).pixel(0, 0, 1), bs.get(0).images().toFloatArray()[1]);
        }
    }

    @Test
    void resumeAtBatchGivesTheSameBatches() {
        Dataset ds = synthetic(45);
        try (DataLoader full = loader(ds, 3, false); DataLoader resumed = loader(ds, 2, false)) {
            List<Batch> ref = all(full, 5, 0);
            List<Batch> rest = all(resumed, 5, 4);
            assertEquals(4, rest.get(0).index());
            assertSameBatches(ref.subList(4, ref.size()), rest);
            assertTrue(all(resumed, 5, ref.size()).isEmpty());
        }
    }

    @Test
    void dropLastCounts() {
        Dataset ds = synthetic(50);
        try (DataLoader keep = loader(ds, 2, false); DataLoader drop = loader(ds, 2, true)) {
            assertEquals(8, keep.batchesPerEpoch());
            assertEquals(7, drop.batchesPerEpoch());
            List<Batch> d = all(drop, 0, 0);
            assertEquals(7, d.size());
            for (Batch b : d) {
                assertEquals(7, b.size());
            }
            assertEquals(50, all(keep, 0, 0).stream().mapToInt(Batch::size).sum());
        }
        try (DataLoader exact = DataLoader.builder(synthetic(14)).batchSize(7).dropLast(true).build()) {
            assertEquals(2, all(exact, 0, 0).size());
        }
    }

    @Test
    void workerExceptionSurfacesWithOriginalCause() {
        IllegalStateException boom = new IllegalStateException("boom at 17");
        Dataset ds = synthetic(40);
        Transform failing = (img, rng) -> {
            if (img.get(0, 0, 0) == ((17 * 13) & 0xFF)) { // only sample 17 starts with this value
                throw boom;
            }
            return img;
        };
        for (int workers : new int[] {0, 3}) {
            try (DataLoader l = DataLoader.builder(ds).batchSize(5).transform(failing).workers(workers).build()) {
                DataLoader.Epoch it = l.epoch(0);
                for (int b = 0; b < 3; b++) {
                    assertEquals(b, it.next().index()); // batches 0..2 hold samples 0..14
                }
                RuntimeException e = assertThrows(RuntimeException.class, it::next);
                Throwable cause = workers == 0 ? e : e.getCause();
                assertSame(boom, cause);
                if (workers > 0) {
                    assertTrue(e.getMessage().contains("batch 3"), e.getMessage());
                    assertTrue(it.threadsStopped());
                }
                it.close();
            }
        }
    }

    @Test
    void closeStopsWorkerThreads() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Transform slow = (img, rng) -> {
            started.countDown();
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return img;
        };
        DataLoader l = DataLoader.builder(synthetic(2000)).batchSize(4).transform(slow).workers(4).prefetch(4).build();
        DataLoader.Epoch it = l.epoch(0);
        it.next();
        assertTrue(started.await(10, TimeUnit.SECONDS));
        assertTrue(loaderThreads() > 0);
        l.close(); // closes the open epoch too
        assertTrue(it.threadsStopped());
        assertEquals(0, loaderThreads());
        assertFalse(it.hasNext());
        assertThrows(IllegalStateException.class, it::next);
        assertThrows(IllegalStateException.class, () -> l.epoch(1));
    }

    @Test
    void exhaustedEpochThreadsEndOnTheirOwn() throws Exception {
        try (DataLoader l = loader(synthetic(20), 3, false)) {
            DataLoader.Epoch it = l.epoch(0);
            while (it.hasNext()) {
                it.next();
            }
            for (int i = 0; i < 200 && !it.threadsStopped(); i++) {
                Thread.sleep(10);
            }
            assertTrue(it.threadsStopped());
        }
    }

    private static long loaderThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("jqat-loader-") && t.isAlive()).count();
    }
}
