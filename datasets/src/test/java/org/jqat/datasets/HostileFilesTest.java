package org.jqat.datasets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged and hostile data files: gzip with trailing data, image bombs, ImageFolder layouts (tar: TarHostileTest). */
class HostileFilesTest {
    @TempDir
    Path tmp;

    @Test
    void gzipMustBeWhole() throws Exception {
        byte[] data = new byte[100_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31 + i / 7);
        }
        byte[] gz = TestData.gzip(data);
        Path f = tmp.resolve("x.gz");
        Files.write(f, gz);
        assertArrayEquals(data, DataFiles.readAll(f));
        // two members (as `cat a.gz b.gz`) and zero padding are valid gzip
        byte[] two = concat(gz, TestData.gzip(new byte[] {1, 2, 3}), new byte[512]);
        Files.write(f, two);
        assertArrayEquals(concat(data, new byte[] {1, 2, 3}), DataFiles.readAll(f));
        for (byte[] bad : new byte[][] {concat(gz, "garbage".getBytes()), concat(gz, new byte[] {0, 0, 7}),
            java.util.Arrays.copyOf(gz, gz.length - 3)}) {
            Files.write(f, bad);
            DatasetException e = assertThrows(DatasetException.class, () -> DataFiles.readAll(f));
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        }
        gz[gz.length - 6] ^= 1; // CRC
        Files.write(f, gz);
        assertTrue(assertThrows(DatasetException.class, () -> DataFiles.readAll(f)).getMessage().contains("CRC"));
    }

    @Test
    void imagesDeclaringHugeDimensionsAreRefusedBeforeDecoding() throws Exception {
        Path cls = Files.createDirectories(tmp.resolve("root/cat"));
        Files.write(cls.resolve("bomb.png"), bombPng(60_000, 60_000));
        ImageFolderDataset ds = ImageFolderDataset.open(tmp.resolve("root"));
        DatasetException e = assertThrows(DatasetException.class, () -> ds.get(0));
        assertTrue(e.getMessage().contains("bomb.png") && e.getMessage().contains("60000x60000"), e.getMessage());
    }

    @Test
    void imageFolderRefusesEmptyClassesAndSplitsWithDifferentClasses() throws Exception {
        Path train = tmp.resolve("train");
        Path val = tmp.resolve("val");
        for (String c : new String[] {"ant", "bee"}) {
            writePng(train.resolve(c).resolve("a.png"));
        }
        writePng(val.resolve("ant").resolve("a.png"));
        writePng(val.resolve("wasp").resolve("a.png"));
        DatasetException e = assertThrows(DatasetException.class,
                () -> ImageFolderDataset.checkSameClasses(ImageFolderDataset.open(train), ImageFolderDataset.open(val)));
        assertTrue(e.getMessage().contains("[bee]") && e.getMessage().contains("[wasp]"), e.getMessage());
        Files.createDirectories(train.resolve("cow"));
        e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(train));
        assertTrue(e.getMessage().contains("cow") && e.getMessage().contains("no image"), e.getMessage());
    }

    private static void writePng(Path p) throws Exception {
        Files.createDirectories(p.getParent());
        ImageIO.write(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), "png", p.toFile());
    }

    /** A 1×1 PNG whose header then claims {@code w × h} pixels. */
    static byte[] bombPng(int w, int h) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB), "png", buf);
        byte[] b = buf.toByteArray();
        ByteBuffer bb = ByteBuffer.wrap(b);
        bb.putInt(16, w).putInt(20, h);
        CRC32 crc = new CRC32();
        crc.update(b, 12, 17);
        bb.putInt(29, (int) crc.getValue());
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
