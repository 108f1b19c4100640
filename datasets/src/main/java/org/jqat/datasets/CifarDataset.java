package org.jqat.datasets;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CIFAR-10 / CIFAR-100 in the official "binary version": fixed-size records of label byte(s)
 * followed by 1024 R, 1024 G and 1024 B bytes (32x32 row-major planes). Files may be plain or
 * gzipped. CIFAR-100 records carry a coarse then a fine label byte; the fine label is used.
 */
public final class CifarDataset implements Dataset {
    /** Pixel bytes per record: 3 x 32 x 32. */
    public static final int PIXELS = 3 * 32 * 32;

    private final byte[] pixels;
    private final byte[] labels;
    private final int numClasses;
    private final List<String> classNames;

    private CifarDataset(byte[] pixels, byte[] labels, List<String> classNames) {
        this.pixels = pixels;
        this.labels = labels;
        this.numClasses = classNames.size();
        this.classNames = classNames;
    }

    /**
     * CIFAR-10 from {@code dir} (the extracted {@code cifar-10-batches-bin}): the five
     * {@code data_batch_i.bin} files for training, {@code test_batch.bin} otherwise.
     */
    public static CifarDataset cifar10(Path dir, boolean train) {
        List<Path> files = new ArrayList<>();
        if (train) {
            for (int i = 1; i <= 5; i++) {
                files.add(DataFiles.plainOrGz(dir, "data_batch_" + i + ".bin"));
            }
        } else {
            files.add(DataFiles.plainOrGz(dir, "test_batch.bin"));
        }
        List<String> names = ClassNames.readOr(dir.resolve("batches.meta.txt"), 10, ClassNames.CIFAR10);
        return read(files, 1, names);
    }

    /** CIFAR-100 (fine labels) from {@code dir} (the extracted {@code cifar-100-binary}). */
    public static CifarDataset cifar100(Path dir, boolean train) {
        Path file = DataFiles.plainOrGz(dir, train ? "train.bin" : "test.bin");
        List<String> names = ClassNames.readOr(dir.resolve("fine_label_names.txt"), 100, ClassNames.CIFAR100);
        return read(List.of(file), 2, names);
    }

    /**
     * Reads records of {@code labelBytes} label bytes (the last one is used) plus 3072 pixels
     * from each file in order.
     */
    public static CifarDataset read(List<Path> files, int labelBytes, List<String> classNames) {
        int recordSize = labelBytes + PIXELS;
        List<byte[]> contents = new ArrayList<>();
        long total = 0;
        for (Path f : files) {
            byte[] b = DataFiles.readAll(f);
            if (b.length == 0) {
                throw DatasetException.inFile(f, "empty file");
            }
            if (b.length % recordSize != 0) {
                // Name the record that is cut short: that is where the copy went wrong.
                throw DatasetException.inRecord(f, b.length / recordSize,
                        "truncated: file size " + b.length + " is not a multiple of the record size "
                                + recordSize + " (last record has " + (b.length % recordSize) + " bytes)");
            }
            contents.add(b);
            total += b.length / recordSize;
        }
        if (total * PIXELS > Integer.MAX_VALUE - 8) {
            throw new DatasetException("CIFAR: too many records for one array: " + total);
        }
        byte[] pixels = new byte[(int) (total * PIXELS)];
        byte[] labels = new byte[(int) total];
        int n = 0;
        for (int fi = 0; fi < files.size(); fi++) {
            byte[] b = contents.get(fi);
            int records = b.length / recordSize;
            for (int r = 0; r < records; r++) {
                int off = r * recordSize;
                int label = b[off + labelBytes - 1] & 0xFF;
                if (label >= classNames.size()) {
                    throw DatasetException.inRecord(files.get(fi), r,
                            "label " + label + " out of range [0, " + classNames.size() + ")");
                }
                labels[n] = (byte) label;
                System.arraycopy(b, off + labelBytes, pixels, n * PIXELS, PIXELS);
                n++;
            }
            contents.set(fi, null); // let the decompressed file go before the next one is kept
        }
        return new CifarDataset(pixels, labels, classNames);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public Example get(int index) {
        byte[] px = new byte[PIXELS];
        System.arraycopy(pixels, index * PIXELS, px, 0, PIXELS);
        return new Example(px, 3, 32, 32, labels[index] & 0xFF);
    }

    @Override
    public int label(int index) {
        return labels[index] & 0xFF;
    }

    @Override
    public int[] imageShape() {
        return new int[] {3, 32, 32};
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }
}
