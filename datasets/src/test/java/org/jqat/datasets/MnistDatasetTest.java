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

class MnistDatasetTest {
    @TempDir
    Path dir;

    private Path images() {
        return dir.resolve("t10k-images-idx3-ubyte");
    }

    private Path labels() {
        return dir.resolve("t10k-labels-idx1-ubyte");
    }

    private DatasetException fails() {
        return assertThrows(DatasetException.class, () -> MnistDataset.mnist(dir, false));
    }

    @Test
    void readsCraftedExactly() throws Exception {
        Files.write(images(), TestData.idxImages(3, 2, 3));
        Files.write(labels(), TestData.idxLabels(7, 0, 9));
        MnistDataset ds = MnistDataset.mnist(dir, false);
        assertEquals(3, ds.size());
        assertArrayEquals(new int[] {1, 2, 3}, ds.imageShape());
        Example e = ds.get(2);
        assertEquals(9, e.label());
        assertArrayEquals(new byte[] {14, 15, 16, 17, 18, 19}, e.pixels());
        assertEquals(17, e.pixel(0, 1, 0));
        assertEquals(7, ds.get(0).label());
        float[] f = e.toImage().data();
        assertEquals(14f, f[0]);
    }

    @Test
    void readsGzippedFashion() throws Exception {
        Files.write(dir.resolve("train-images-idx3-ubyte.gz"), TestData.gzip(TestData.idxImages(2, 28, 28)));
        Files.write(dir.resolve("train-labels-idx1-ubyte.gz"), TestData.gzip(TestData.idxLabels(9, 1)));
        MnistDataset ds = MnistDataset.fashionMnist(dir, true);
        assertEquals(2, ds.size());
        assertEquals("Ankle boot", ds.classNames().get(ds.get(0).label()));
        assertEquals((7 + 100) & 0xFF, ds.get(1).pixel(0, 3, 16)); // p = 3*28+16 = 100
    }

    @Test
    void wrongMagic() throws Exception {
        byte[] img = TestData.idxImages(1, 2, 2);
        img[3] = 0x01;
        Files.write(images(), img);
        Files.write(labels(), TestData.idxLabels(0));
        DatasetException e = fails();
        assertTrue(e.getMessage().contains(images().toString()) && e.getMessage().contains("magic"), e.getMessage());
        Files.write(images(), TestData.idxImages(1, 2, 2));
        Files.write(labels(), TestData.idxImages(1, 2, 2)); // an image file given as labels
        e = fails();
        assertTrue(e.getMessage().contains(labels().toString()) && e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void truncatedImages() throws Exception {
        byte[] img = TestData.idxImages(5, 4, 4);
        Files.write(images(), Arrays.copyOf(img, 16 + 2 * 16 + 3));
        Files.write(labels(), TestData.idxLabels(0, 1, 2, 3, 4));
        DatasetException e = fails();
        assertTrue(e.getMessage().contains(images() + ": record 2: truncated"), e.getMessage());
        Files.write(images(), Arrays.copyOf(img, 10));
        assertTrue(fails().getMessage().contains("truncated header"));
    }

    @Test
    void countDisagreesWithHeader() throws Exception {
        byte[] img = TestData.idxImages(3, 2, 2);
        Files.write(images(), Arrays.copyOf(img, img.length + 4)); // one image more than the header says
        Files.write(labels(), TestData.idxLabels(0, 1, 2));
        assertTrue(fails().getMessage().contains("disagrees with the header"));
    }

    @Test
    void labelCountDisagreesWithImages() throws Exception {
        Files.write(images(), TestData.idxImages(3, 2, 2));
        Files.write(labels(), TestData.idxLabels(0, 1));
        DatasetException e = fails();
        assertTrue(e.getMessage().contains(labels().toString()) && e.getMessage().contains("label count 2 disagrees with image count 3"), e.getMessage());
    }

    @Test
    void truncatedLabels() throws Exception {
        Files.write(images(), TestData.idxImages(3, 2, 2));
        byte[] lab = TestData.idxLabels(0, 1, 2);
        Files.write(labels(), Arrays.copyOf(lab, lab.length - 1));
        assertTrue(fails().getMessage().contains(labels() + ": record 2: truncated"));
    }

    @Test
    void labelOutOfRange() throws Exception {
        Files.write(images(), TestData.idxImages(3, 2, 2));
        Files.write(labels(), TestData.idxLabels(0, 10, 2));
        assertTrue(fails().getMessage().contains(labels() + ": record 1: label 10 out of range"));
    }

    @Test
    void realT10k() {
        Path mnist = TestData.sharedDatasets().resolve("mnist");
        org.junit.jupiter.api.Assumptions.assumeTrue(DataFiles.existsPlainOrGz(mnist, "t10k-images-idx3-ubyte"));
        MnistDataset ds = MnistDataset.mnist(mnist, false);
        assertEquals(10000, ds.size());
        assertArrayEquals(new int[] {1, 28, 28}, ds.imageShape());
        assertEquals(List.of(7, 2, 1, 0, 4), List.of(ds.label(0), ds.label(1), ds.label(2), ds.label(3), ds.label(4)));
        int[] counts = new int[10];
        for (int i = 0; i < ds.size(); i++) {
            counts[ds.label(i)]++;
        }
        assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, counts);
    }
}
