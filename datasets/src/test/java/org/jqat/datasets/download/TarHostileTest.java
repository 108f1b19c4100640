package org.jqat.datasets.download;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqat.datasets.DatasetException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tar extraction refuses before writing anything, and never writes through a link already in the destination. */
class TarHostileTest {
    @TempDir
    Path tmp;

    @Test
    void aRefusedTarEntryLeavesNothingExtracted() throws Exception {
        Path archive = tmp.resolve("t.tar");
        Files.write(archive, new Tars().file("set/ok.bin", new byte[] {1}).file("set/../../evil.bin", new byte[] {2}).bytes());
        Path dest = tmp.resolve("dest");
        assertThrows(DatasetException.class, () -> TarArchive.extract(archive, dest));
        assertFalse(Files.exists(dest.resolve("set/ok.bin")), "entries before the refused one must not be extracted");
    }

    @Test
    void tarExtractionNeverWritesThroughALinkInTheDestination() throws Exception {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path dest = Files.createDirectories(tmp.resolve("dest"));
        Files.createSymbolicLink(dest.resolve("set"), outside);
        Path archive = tmp.resolve("t.tar");
        Files.write(archive, new Tars().file("set/a.bin", new byte[] {1}).bytes());
        DatasetException e = assertThrows(DatasetException.class, () -> TarArchive.extract(archive, dest));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertFalse(Files.exists(outside.resolve("a.bin")));
    }

}
