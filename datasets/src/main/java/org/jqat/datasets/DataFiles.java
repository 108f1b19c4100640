package org.jqat.datasets;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipException;

/** File helpers shared by the readers: transparent gunzip and "plain or .gz" lookup. */
public final class DataFiles {
    private DataFiles() {}

    /**
     * Opens {@code file}, gunzipping it when it starts with the gzip magic bytes. Sniffing the
     * content rather than the name means a renamed file still reads correctly. Gzip data must be
     * whole: truncation, a CRC mismatch or bytes after the last member raise an {@link IOException}.
     */
    public static InputStream open(Path file) throws IOException {
        InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            return new StrictGzipInputStream(in, 1 << 16);
        }
        return in;
    }

    /** All (uncompressed) bytes of {@code file}; I/O and gzip errors become {@link DatasetException}s. */
    public static byte[] readAll(Path file) {
        try (InputStream in = open(file)) {
            return in.readAllBytes();
        } catch (EOFException | ZipException e) {
            throw new DatasetException(file + ": truncated or corrupt gzip stream (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DatasetException(file + ": cannot read (" + e + ")", e);
        }
    }

    /**
     * {@code dir/name} if it exists, else {@code dir/name.gz}; throws naming both when
     * neither exists.
     */
    public static Path plainOrGz(Path dir, String name) {
        Path plain = dir.resolve(name);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new DatasetException("missing data file: neither " + plain + " nor " + gz + " exists");
    }

    /** Whether {@code dir/name} or {@code dir/name.gz} exists. */
    public static boolean existsPlainOrGz(Path dir, String name) {
        return Files.isRegularFile(dir.resolve(name)) || Files.isRegularFile(dir.resolve(name + ".gz"));
    }
}
