package org.jqat.datasets;

import java.nio.file.Path;
import java.util.List;

/**
 * MNIST and Fashion-MNIST in the IDX format (big-endian; images magic 2051 with count, rows,
 * cols; labels magic 2049 with count), plain or gzipped. Both sets use the same file names.
 */
public final class MnistDataset implements Dataset {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private final byte[] pixels;
    private final byte[] labels;
    private final int rows;
    private final int cols;
    private final List<String> classNames;

    private MnistDataset(byte[] pixels, byte[] labels, int rows, int cols, List<String> classNames) {
        this.pixels = pixels;
        this.labels = labels;
        this.rows = rows;
        this.cols = cols;
        this.classNames = classNames;
    }

    /** MNIST from {@code dir} ({@code train-*} or {@code t10k-*} files, plain or {@code .gz}). */
    public static MnistDataset mnist(Path dir, boolean train) {
        return fromDir(dir, train, ClassNames.MNIST);
    }

    /** Fashion-MNIST from {@code dir}; same file names as MNIST, different class names. */
    public static MnistDataset fashionMnist(Path dir, boolean train) {
        return fromDir(dir, train, ClassNames.FASHION_MNIST);
    }

    private static MnistDataset fromDir(Path dir, boolean train, List<String> names) {
        String prefix = train ? "train" : "t10k";
        return read(DataFiles.plainOrGz(dir, prefix + "-images-idx3-ubyte"),
                DataFiles.plainOrGz(dir, prefix + "-labels-idx1-ubyte"), names);
    }

    /** Reads an IDX image file and its label file, checking headers, sizes and labels. */
    public static MnistDataset read(Path imagesFile, Path labelsFile, List<String> classNames) {
        byte[] img = DataFiles.readAll(imagesFile);
        if (img.length < 16) {
            throw DatasetException.inFile(imagesFile, "truncated header: " + img.length + " bytes, IDX image header needs 16");
        }
        int magic = readInt(img, 0);
        if (magic != IMAGES_MAGIC) {
            throw DatasetException.inFile(imagesFile, String.format(
                    "wrong magic number 0x%08x (%d), expected 0x%08x (%d) for IDX uint8 images", magic, magic, IMAGES_MAGIC, IMAGES_MAGIC));
        }
        int n = readInt(img, 4);
        int rows = readInt(img, 8);
        int cols = readInt(img, 12);
        if (n < 0 || rows <= 0 || cols <= 0) {
            throw DatasetException.inFile(imagesFile, "bad header: count " + n + ", rows " + rows + ", cols " + cols);
        }
        long per = (long) rows * cols;
        long expected = 16 + n * per;
        if (img.length < expected) {
            long complete = (img.length - 16) / per;
            throw DatasetException.inRecord(imagesFile, complete, "truncated: header says " + n + " images ("
                    + expected + " bytes) but the file has " + img.length + " bytes");
        }
        if (img.length > expected) {
            throw DatasetException.inFile(imagesFile, "image count disagrees with the header: header says " + n
                    + " images (" + expected + " bytes) but the file has " + img.length + " bytes");
        }

        byte[] lab = DataFiles.readAll(labelsFile);
        if (lab.length < 8) {
            throw DatasetException.inFile(labelsFile, "truncated header: " + lab.length + " bytes, IDX label header needs 8");
        }
        int lmagic = readInt(lab, 0);
        if (lmagic != LABELS_MAGIC) {
            throw DatasetException.inFile(labelsFile, String.format(
                    "wrong magic number 0x%08x (%d), expected 0x%08x (%d) for IDX uint8 labels", lmagic, lmagic, LABELS_MAGIC, LABELS_MAGIC));
        }
        int ln = readInt(lab, 4);
        if (ln != n) {
            throw DatasetException.inFile(labelsFile, "label count " + ln + " disagrees with image count " + n + " in " + imagesFile);
        }
        if (lab.length != 8 + (long) ln) {
            if (lab.length < 8 + (long) ln) {
                throw DatasetException.inRecord(labelsFile, lab.length - 8, "truncated: header says " + ln
                        + " labels but the file holds " + (lab.length - 8));
            }
            throw DatasetException.inFile(labelsFile, "label count disagrees with the header: header says " + ln
                    + " labels but the file holds " + (lab.length - 8));
        }
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            int l = lab[8 + i] & 0xFF;
            if (l >= classNames.size()) {
                throw DatasetException.inRecord(labelsFile, i, "label " + l + " out of range [0, " + classNames.size() + ")");
            }
            labels[i] = (byte) l;
        }
        byte[] pixels = new byte[(int) (n * per)];
        System.arraycopy(img, 16, pixels, 0, pixels.length);
        return new MnistDataset(pixels, labels, rows, cols, classNames);
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public Example get(int index) {
        int per = rows * cols;
        byte[] px = new byte[per];
        System.arraycopy(pixels, index * per, px, 0, per);
        return new Example(px, 1, rows, cols, labels[index] & 0xFF);
    }

    @Override
    public int label(int index) {
        return labels[index] & 0xFF;
    }

    @Override
    public int[] imageShape() {
        return new int[] {1, rows, cols};
    }

    @Override
    public int numClasses() {
        return classNames.size();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }
}
