package org.jqat.datasets;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Test helpers: locating the shared real data, writing gzip and IDX files. */
public final class TestData {
    private TestData() {}

    /**
     * The shared real-data folder: system property {@code jqat.datasets}, else a
     * {@code shared/datasets} beside an ancestor of the working directory; skips the test when absent.
     */
    public static Path sharedDatasets() {
        String prop = System.getProperty("jqat.datasets");
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            assumeTrue(Files.isDirectory(p), "jqat.datasets=" + prop + " is not a directory");
            return p;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("shared").resolve("datasets");
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        assumeTrue(false, "shared/datasets not found; real-data test skipped");
        return null;
    }

    public static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bos)) {
            out.write(data);
        }
        return bos.toByteArray();
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /** IDX3 image file bytes: {@code n} images of {@code rows x cols}, pixel = (i*7 + p) & 0xFF. */
    public static byte[] idxImages(int n, int rows, int cols) {
        byte[] b = new byte[16 + n * rows * cols];
        putInt(b, 0, 2051);
        putInt(b, 4, n);
        putInt(b, 8, rows);
        putInt(b, 12, cols);
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < rows * cols; p++) {
                b[16 + i * rows * cols + p] = (byte) (i * 7 + p);
            }
        }
        return b;
    }

    /** IDX1 label file bytes. */
    public static byte[] idxLabels(int... labels) {
        byte[] b = new byte[8 + labels.length];
        putInt(b, 0, 2049);
        putInt(b, 4, labels.length);
        for (int i = 0; i < labels.length; i++) {
            b[8 + i] = (byte) labels[i];
        }
        return b;
    }

    /** A CIFAR record: {@code labelBytes} then 3072 pixels with value (seed + i) & 0xFF. */
    public static byte[] cifarRecords(int labelBytes, int[][] labels) {
        int rec = labelBytes + 3072;
        byte[] b = new byte[labels.length * rec];
        for (int r = 0; r < labels.length; r++) {
            for (int k = 0; k < labelBytes; k++) {
                b[r * rec + k] = (byte) labels[r][k];
            }
            for (int i = 0; i < 3072; i++) {
                b[r * rec + labelBytes + i] = (byte) (r * 31 + i);
            }
        }
        return b;
    }
}
