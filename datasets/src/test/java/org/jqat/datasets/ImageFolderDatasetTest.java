package org.jqat.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {
    @TempDir
    Path root;

    private static BufferedImage image(int w, int h, int base) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((base + x) << 16) | ((base + y) << 8) | (base + x + y));
            }
        }
        return img;
    }

    private void write(String cls, String name, BufferedImage img, String format) throws Exception {
        Path d = root.resolve(cls);
        Files.createDirectories(d);
        assertTrue(ImageIO.write(img, format, d.resolve(name).toFile()));
    }

    @Test
    void classesSortedAndPngPixelsExact() throws Exception {
        write("zebra", "b.png", image(4, 3, 10), "png");
        write("zebra", "a.png", image(4, 3, 50), "png");
        write("ant", "x.png", image(2, 2, 100), "png");
        write("moth", "m.jpg", image(16, 8, 20), "jpg");
        Files.writeString(root.resolve("ant").resolve("notes.txt"), "not an image");
        ImageFolderDataset ds = ImageFolderDataset.open(root);
        assertEquals(List.of("ant", "moth", "zebra"), ds.classNames());
        assertEquals(4, ds.size());
        assertEquals(List.of(0, 1, 2, 2), List.of(ds.label(0), ds.label(1), ds.label(2), ds.label(3)));
        assertTrue(ds.file(2).endsWith("a.png")); // files sorted within a class

        Example a = ds.get(2);
        assertEquals(3, a.channels());
        assertEquals(3, a.height());
        assertEquals(4, a.width());
        assertEquals(2, a.label());
        assertEquals(50 + 3, a.pixel(0, 2, 3)); // R = base + x
        assertEquals(50 + 2, a.pixel(1, 2, 3)); // G = base + y
        assertEquals(50 + 5, a.pixel(2, 2, 3)); // B = base + x + y

        Example jpg = ds.get(1);
        assertArrayEquals(new int[] {3, 8, 16}, new int[] {jpg.channels(), jpg.height(), jpg.width()});
        assertEquals(1, jpg.label());
        assertTrue(Math.abs(jpg.pixel(0, 4, 8) - 28) <= 8, "jpeg roughly preserves pixels: " + jpg.pixel(0, 4, 8));
    }

    @Test
    void grayImagesBecomeRgb() throws Exception {
        BufferedImage g = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        g.getRaster().setSample(0, 0, 0, 77);
        g.getRaster().setSample(1, 0, 0, 200);
        write("c", "g.png", g, "png");
        Example e = ImageFolderDataset.open(root).get(0);
        assertEquals(3, e.channels());
        assertEquals(e.pixel(0, 0, 1), e.pixel(2, 0, 1));
        assertEquals(200, e.pixel(1, 0, 1), 1);
    }

    @Test
    void undecodableImageNamesFileAndIndex() throws Exception {
        write("a", "ok.png", image(2, 2, 0), "png");
        Files.createDirectories(root.resolve("b"));
        Path bad = root.resolve("b").resolve("broken.jpg");
        Files.write(bad, new byte[] {1, 2, 3, 4, 5});
        ImageFolderDataset ds = ImageFolderDataset.open(root);
        DatasetException e = assertThrows(DatasetException.class, () -> ds.get(1));
        assertTrue(e.getMessage().contains(bad + ": record 1: cannot decode image"), e.getMessage());
    }

    @Test
    void emptyFolderIsAnError() throws Exception {
        assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root));
        Files.createDirectories(root.resolve("a"));
        assertTrue(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(root)).getMessage().contains("no image files"));
    }

    @Test
    void realCifarJpegsFromTarball() throws Exception {
        Path tgz = TestData.sharedDatasets().resolve("cifar-10-jpeg.tar.gz");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(tgz));
        // Copy two images of each of three test classes out of the tarball, then read them as an ImageFolder.
        java.util.Map<String, Integer> taken = new java.util.HashMap<>();
        org.jqat.datasets.download.TarArchive.read(tgz, (e, in) -> {
            String[] parts = e.name().split("/");
            if (e.isFile() && parts.length == 4 && parts[1].equals("test") && List.of("airplane", "cat", "truck").contains(parts[2])
                    && taken.merge(parts[2], 1, Integer::sum) <= 2) {
                Path out = root.resolve(parts[2]).resolve(parts[3]);
                Files.createDirectories(out.getParent());
                Files.copy(in, out);
            }
        });
        ImageFolderDataset ds = ImageFolderDataset.open(root);
        assertEquals(List.of("airplane", "cat", "truck"), ds.classNames());
        assertEquals(6, ds.size());
        for (int i = 0; i < ds.size(); i++) {
            Example e = ds.get(i);
            assertArrayEquals(new int[] {3, 32, 32}, new int[] {e.channels(), e.height(), e.width()});
            assertEquals(i / 2, e.label());
        }
        // Batched through the loader with an ImageNet-style eval pipeline.
        org.jqat.datasets.transforms.Transform eval = org.jqat.datasets.transforms.Compose.of(
                new org.jqat.datasets.transforms.Resize(40), new org.jqat.datasets.transforms.CenterCrop(36),
                new org.jqat.datasets.transforms.ToTensor());
        try (DataLoader l = DataLoader.builder(ds).batchSize(4).transform(eval).workers(2).build();
                DataLoader.Epoch it = l.epoch(0)) {
            Batch b = it.next();
            assertArrayEquals(new int[] {4, 3, 36, 36}, b.images().shape());
            assertEquals(2, it.next().size());
        }
    }
}
