package org.jqat.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarDatasetTest {
    @TempDir
    Path dir;

    private void checkPixels(Example ex, int r) {
        assertEquals(3, ex.channels());
        assertEquals(32, ex.height());
        // R plane first, then G, then B, each row-major: byte i of the record's pixels is CHW index i.
        assertEquals((r * 31) & 0xFF, ex.pixel(0, 0, 0));
        assertEquals((r * 31 + 33) & 0xFF, ex.pixel(0, 1, 1));
        assertEquals((r * 31 + 1024 + 5) & 0xFF, ex.pixel(1, 0, 5));
        assertEquals((r * 31 + 2048 + 32 * 31 + 31) & 0xFF, ex.pixel(2, 31, 31));
    }

    @Test
    void readsCrafted10PlainAndGzip() throws Exception {
        Files.write(dir.resolve("test_batch.bin"), TestData.cifarRecords(1, new int[][] {{3}, {9}}));
        CifarDataset ds = CifarDataset.cifar10(dir, false);
        assertEquals(2, ds.size());
        assertEquals(3, ds.get(0).label());
        assertEquals(9, ds.get(1).label());
        checkPixels(ds.get(0), 0);
        checkPixels(ds.get(1), 1);
        assertEquals(ClassNames.CIFAR10, ds.classNames());
        assertArrayEquals(new int[] {3, 32, 32}, ds.imageShape());

        Files.delete(dir.resolve("test_batch.bin"));
        Files.write(dir.resolve("test_batch.bin.gz"), TestData.gzip(TestData.cifarRecords(1, new int[][] {{1}})));
        CifarDataset gz = CifarDataset.cifar10(dir, false);
        assertEquals(1, gz.size());
        assertEquals(1, gz.label(0));
        checkPixels(gz.get(0), 0);
    }

    @Test
    void trainConcatenatesFiveBatches() throws Exception {
        for (int i = 1; i <= 5; i++) {
            Files.write(dir.resolve("data_batch_" + i + ".bin"), TestData.cifarRecords(1, new int[][] {{i}}));
        }
        CifarDataset ds = CifarDataset.cifar10(dir, true);
        assertEquals(5, ds.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(i + 1, ds.label(i));
        }
    }

    @Test
    void cifar100UsesFineLabel() throws Exception {
        Files.write(dir.resolve("test.bin"), TestData.cifarRecords(2, new int[][] {{19, 99}, {0, 42}}));
        CifarDataset ds = CifarDataset.cifar100(dir, false);
        assertEquals(100, ds.numClasses());
        assertEquals(99, ds.get(0).label());
        assertEquals(42, ds.get(1).label());
        assertEquals("worm", ds.classNames().get(99));
        checkPixels(ds.get(1), 1);
    }

    @Test
    void classNamesFromMetaFile() throws Exception {
        Files.write(dir.resolve("test_batch.bin"), TestData.cifarRecords(1, new int[][] {{0}}));
        Files.writeString(dir.resolve("batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
        assertEquals("j", CifarDataset.cifar10(dir, false).classNames().get(9));
        assertEquals(100, ClassNames.CIFAR100.size());
    }

    @Test
    void sizeNotMultipleOfRecordNamesFileAndRecord() throws Exception {
        byte[] two = TestData.cifarRecords(1, new int[][] {{0}, {1}});
        Path f = dir.resolve("test_batch.bin");
        Files.write(f, Arrays.copyOf(two, two.length - 100));
        DatasetException e = assertThrows(DatasetException.class, () -> CifarDataset.cifar10(dir, false));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("record 1"), e.getMessage());
        assertTrue(e.getMessage().contains("3073"), e.getMessage());
    }

    @Test
    void truncatedGzipIsReported() throws Exception {
        byte[] gz = TestData.gzip(TestData.cifarRecords(1, new int[][] {{0}, {1}}));
        Path f = dir.resolve("test_batch.bin.gz");
        Files.write(f, Arrays.copyOf(gz, gz.length / 2));
        DatasetException e = assertThrows(DatasetException.class, () -> CifarDataset.cifar10(dir, false));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void labelOutOfRangeNamesRecord() throws Exception {
        Path f = dir.resolve("test_batch.bin");
        Files.write(f, TestData.cifarRecords(1, new int[][] {{0}, {1}, {10}}));
        DatasetException e = assertThrows(DatasetException.class, () -> CifarDataset.cifar10(dir, false));
        assertTrue(e.getMessage().contains(f + ": record 2: label 10 out of range"), e.getMessage());
    }

    @Test
    void missingFileIsClear() {
        DatasetException e = assertThrows(DatasetException.class, () -> CifarDataset.cifar10(dir, false));
        assertTrue(e.getMessage().contains("test_batch.bin"), e.getMessage());
    }

    @Test
    void realTestBatch() {
        Path cifar = TestData.sharedDatasets().resolve("cifar-10-batches-bin");
        org.junit.jupiter.api.Assumptions.assumeTrue(DataFiles.existsPlainOrGz(cifar, "test_batch.bin"));
        CifarDataset ds = CifarDataset.cifar10(cifar, false);
        assertEquals(10000, ds.size());
        int[] counts = new int[10];
        for (int i = 0; i < ds.size(); i++) {
            counts[ds.label(i)]++;
        }
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, counts);
        assertEquals(List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"), ds.classNames());
    }
}
