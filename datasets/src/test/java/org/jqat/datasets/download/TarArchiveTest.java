package org.jqat.datasets.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.jqat.datasets.DatasetException;
import org.jqat.datasets.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TarArchiveTest {
    @TempDir
    Path tmp;

    @Test
    void extractsGzippedUstar() throws Exception {
        byte[] big = new byte[1300];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) i;
        }
        byte[] tar = new Tars().dir("set/").file("set/a.bin", big).file("set/sub/b.txt", "hello".getBytes(StandardCharsets.UTF_8))
                .symlink("set/link").bytes();
        Path archive = tmp.resolve("x.tar.gz");
        Files.write(archive, TestData.gzip(tar));
        Path dest = tmp.resolve("out");
        List<Path> written = TarArchive.extract(archive, dest);
        assertEquals(2, written.size());
        assertArrayEquals(big, Files.readAllBytes(dest.resolve("set/a.bin")));
        assertEquals("hello", Files.readString(dest.resolve("set/sub/b.txt")));
        assertFalse(Files.exists(dest.resolve("set/link")), "links are skipped");
        assertEquals(4, TarArchive.list(archive).size());
    }

    @Test
    void rejectsTraversalAndAbsolutePaths() throws Exception {
        for (String evil : new String[] {"../evil.txt", "set/../../evil.txt", "/tmp/evil.txt"}) {
            Path archive = tmp.resolve("evil.tar");
            Files.write(archive, new Tars().file(evil, new byte[] {1}).bytes());
            Path dest = tmp.resolve("dest");
            DatasetException e = assertThrows(DatasetException.class, () -> TarArchive.extract(archive, dest));
            assertTrue(e.getMessage().contains(evil), e.getMessage());
            assertFalse(Files.exists(tmp.resolve("evil.txt")));
        }
    }

    @Test
    void corruptHeaderAndTruncation() throws Exception {
        byte[] tar = new Tars().file("a.bin", new byte[2000]).bytes();
        Path archive = tmp.resolve("t.tar");
        tar[0] ^= 1; // breaks the header checksum
        Files.write(archive, tar);
        assertTrue(assertThrows(DatasetException.class, () -> TarArchive.list(archive)).getMessage().contains("checksum"));
        tar[0] ^= 1;
        Files.write(archive, java.util.Arrays.copyOf(tar, 1000));
        Path dest = tmp.resolve("d");
        assertThrows(DatasetException.class, () -> TarArchive.extract(archive, dest));
        assertFalse(Files.exists(dest.resolve("a.bin")), "no half-written member under its real name");
    }

    @Test
    void realJpegTarballLists() {
        Path tgz = TestData.sharedDatasets().resolve("cifar-10-jpeg.tar.gz");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(tgz));
        long jpegs = TarArchive.list(tgz).stream().filter(e -> e.isFile() && e.name().endsWith(".jpg")).count();
        assertEquals(60000, jpegs);
    }
}
