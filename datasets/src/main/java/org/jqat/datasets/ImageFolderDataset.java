package org.jqat.datasets;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * torchvision's ImageFolder layout: {@code root/<class>/<image>}, one folder per class. Classes
 * are the sub-folder names sorted alphabetically (label = position), files are sorted within a
 * class, and only image extensions are taken, as torchvision does. Images are decoded with the
 * JDK's ImageIO on each {@link #get} (an ImageNet-sized set does not fit in memory decoded) and
 * converted to RGB.
 */
public final class ImageFolderDataset implements Dataset {
    /** Extensions taken, lower case; ImageIO reads these without plug-ins. */
    public static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    private final Path root;
    private final List<Path> files;
    private final int[] labels;
    private final List<String> classNames;

    private ImageFolderDataset(Path root, List<Path> files, int[] labels, List<String> classNames) {
        this.root = root;
        this.files = files;
        this.labels = labels;
        this.classNames = classNames;
    }

    /** Scans {@code root}; fails when it has no class folders or no images at all. */
    public static ImageFolderDataset open(Path root) {
        if (!Files.isDirectory(root)) {
            throw new DatasetException(root + ": ImageFolder root is not a directory");
        }
        try {
            List<Path> classDirs;
            try (Stream<Path> s = Files.list(root)) {
                classDirs = s.filter(Files::isDirectory)
                        .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                        .toList();
            }
            if (classDirs.isEmpty()) {
                throw new DatasetException(root + ": ImageFolder root has no class sub-folders");
            }
            List<String> names = new ArrayList<>();
            List<Path> files = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            for (int c = 0; c < classDirs.size(); c++) {
                names.add(classDirs.get(c).getFileName().toString());
                List<Path> imgs;
                // Walk the class folder recursively, following links, as torchvision does; sort for a fixed order.
                try (Stream<Path> s = Files.walk(classDirs.get(c), FileVisitOption.FOLLOW_LINKS)) {
                    imgs = s.filter(Files::isRegularFile).filter(ImageFolderDataset::isImage)
                            .sorted((a, b) -> a.toString().compareTo(b.toString())).toList();
                }
                if (imgs.isEmpty()) {
                    // As torchvision: a class with no example cannot be learnt and shifts every later label.
                    throw new DatasetException(classDirs.get(c) + ": ImageFolder class folder holds no image files (extensions "
                            + EXTENSIONS + ")");
                }
                for (Path p : imgs) {
                    files.add(p);
                    labels.add(c);
                }
            }
            if (files.isEmpty()) {
                throw new DatasetException(root + ": ImageFolder found no image files (extensions " + EXTENSIONS + ")");
            }
            return new ImageFolderDataset(root, List.copyOf(files), labels.stream().mapToInt(Integer::intValue).toArray(), List.copyOf(names));
        } catch (IOException e) {
            throw new DatasetException(root + ": cannot list ImageFolder (" + e + ")", e);
        }
    }

    /**
     * Fails unless two splits (e.g. train and val) have the same class folders: labels are
     * indices into the sorted names, so a missing class shifts every later one.
     */
    public static void checkSameClasses(ImageFolderDataset a, ImageFolderDataset b) {
        if (!a.classNames.equals(b.classNames)) {
            List<String> onlyA = new ArrayList<>(a.classNames);
            onlyA.removeAll(b.classNames);
            List<String> onlyB = new ArrayList<>(b.classNames);
            onlyB.removeAll(a.classNames);
            throw new DatasetException(a.root + " and " + b.root + " have different class folders (only in the first: "
                    + first(onlyA) + "; only in the second: " + first(onlyB) + ")");
        }
    }

    private static String first(List<String> names) {
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " and " + (names.size() - 5) + " more";
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot >= 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** The root folder. */
    public Path root() {
        return root;
    }

    /** The file behind sample {@code index}. */
    public Path file(int index) {
        return files.get(index);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public Example get(int index) {
        Path f = files.get(index);
        BufferedImage img;
        try {
            img = ImageFiles.read(f);
        } catch (DatasetException e) {
            throw DatasetException.inRecord(f, index, e.getMessage().substring(f.toString().length() + 2));
        }
        int h = img.getHeight();
        int w = img.getWidth();
        byte[] px = new byte[3 * h * w];
        int plane = h * w;
        if (isPlainGray(img)) {
            // getRGB would treat Java's grey colour space as linear and gamma-correct it
            // (200 -> 229); PIL and torchvision replicate the stored value, so do that.
            int bits = img.getColorModel().getComponentSize(0);
            int[] s = img.getRaster().getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < plane; i++) {
                int v = bits == 8 ? s[i] : bits > 8 ? s[i] >>> (bits - 8) : s[i] * 255 / ((1 << bits) - 1);
                px[i] = px[plane + i] = px[2 * plane + i] = (byte) v;
            }
            return new Example(px, 3, h, w, labels[index]);
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w); // converts any other colour model (palette, CMYK) to sRGB
        for (int i = 0; i < plane; i++) {
            int v = argb[i];
            px[i] = (byte) (v >>> 16);
            px[plane + i] = (byte) (v >>> 8);
            px[2 * plane + i] = (byte) v;
        }
        return new Example(px, 3, h, w, labels[index]);
    }

    private static boolean isPlainGray(BufferedImage img) {
        int bands = img.getRaster().getNumBands();
        return (bands == 1 || bands == 2) && !(img.getColorModel() instanceof IndexColorModel)
                && img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }

    @Override
    public int label(int index) {
        return labels[index];
    }

    /** {@code {3, -1, -1}}: images may differ in size. */
    @Override
    public int[] imageShape() {
        return new int[] {3, -1, -1};
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
