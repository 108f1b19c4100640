package org.jqat.datasets;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jqat.datasets.download.Downloader;
import org.jqat.datasets.download.TarArchive;

/**
 * Opens the built-in data sets by name under a root directory, downloading them from their
 * official sites when missing (and verifying the published MD5s, as torchvision does).
 *
 * <p>On-disk layout under the root, the same as the official archives unpack to:
 * {@code cifar-10-batches-bin/}, {@code cifar-100-binary/}, {@code mnist/},
 * {@code fashion-mnist/}. Files already present (plain or gzipped) are used as they are and
 * not checked against the download checksums, since a user's gunzipped copy differs from the
 * published {@code .gz} bytes. Each base URL can be overridden with the system property
 * {@code jqat.datasets.<name>.url} or {@link #withBaseUrl}, so tests can serve files locally.
 */
public final class DatasetRegistry {
    /** Names accepted by {@link #open}; all but "imagenet" can be downloaded. */
    public static final List<String> NAMES = List.of("cifar10", "cifar100", "mnist", "fashion-mnist", "imagenet");

    /** Folder of ImageNet under the root: {@code imagenet/train/<wnid>/...} and {@code imagenet/val/<wnid>/...}. */
    public static final String IMAGENET_DIR = "imagenet";

    /** A downloadable file and its published MD5. */
    public record RemoteFile(String name, String md5) {}

    /**
     * Where a set comes from: either one archive unpacking to {@code dir}, or individual files
     * stored in {@code dir}.
     */
    public record Source(String name, String baseUrl, String dir, RemoteFile archive, List<RemoteFile> files, List<String> required) {}

    private static final List<String> MNIST_FILES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /** The official sources. */
    public static final Map<String, Source> SOURCES = Map.of(
            "cifar10", new Source("cifar10", "https://www.cs.toronto.edu/~kriz/", "cifar-10-batches-bin",
                    new RemoteFile("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530"), List.of(),
                    List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin")),
            "cifar100", new Source("cifar100", "https://www.cs.toronto.edu/~kriz/", "cifar-100-binary",
                    new RemoteFile("cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8"), List.of(),
                    List.of("train.bin", "test.bin")),
            "mnist", new Source("mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/", "mnist", null, List.of(
                    new RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
                    new RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
                    new RemoteFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
                    new RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c")), MNIST_FILES),
            "fashion-mnist", new Source("fashion-mnist", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", "fashion-mnist", null, List.of(
                    new RemoteFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
                    new RemoteFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
                    new RemoteFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
                    new RemoteFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310")), MNIST_FILES));

    private final Path root;
    private final Downloader downloader;
    private final Map<String, String> baseUrls = new HashMap<>();
    private final Map<String, Source> sources = new HashMap<>(SOURCES);
    private boolean download = true;

    public DatasetRegistry(Path root) {
        this(root, new Downloader());
    }

    public DatasetRegistry(Path root, Downloader downloader) {
        this.root = root;
        this.downloader = downloader;
        for (Source s : SOURCES.values()) {
            baseUrls.put(s.name(), System.getProperty("jqat.datasets." + s.name() + ".url", s.baseUrl()));
        }
    }

    /** Replaces the base URL of set {@code name} (must end with '/'). */
    public DatasetRegistry withBaseUrl(String name, String baseUrl) {
        source(name);
        baseUrls.put(name, baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        return this;
    }

    /**
     * Replaces the source of a known set (a mirror with other files or checksums); its base
     * URL becomes the source's.
     */
    public DatasetRegistry withSource(Source s) {
        source(s.name());
        sources.put(s.name(), s);
        baseUrls.put(s.name(), s.baseUrl());
        return this;
    }

    /** Turns downloading off: a missing set is then an error naming what is missing. */
    public DatasetRegistry withDownload(boolean on) {
        this.download = on;
        return this;
    }

    public Path root() {
        return root;
    }

    /** Opens the train or test split of set {@code name}, downloading it first if needed. */
    public Dataset open(String name, boolean train) {
        if (name.equals("imagenet")) {
            // ImageNet needs a licence agreement, so it is never downloaded: the user puts it there.
            Path dir = root.resolve(IMAGENET_DIR).resolve(train ? "train" : "val");
            if (!Files.isDirectory(dir)) {
                throw new DatasetException("ImageNet not found: expected the ImageFolder layout " + dir
                        + "/<class>/<image>.JPEG (it cannot be downloaded automatically)");
            }
            ImageFolderDataset split = ImageFolderDataset.open(dir);
            Path other = root.resolve(IMAGENET_DIR).resolve(train ? "val" : "train");
            if (Files.isDirectory(other)) {
                ImageFolderDataset.checkSameClasses(split, ImageFolderDataset.open(other));
            }
            return split;
        }
        Path dir = ensure(name);
        return switch (name) {
            case "cifar10" -> CifarDataset.cifar10(dir, train);
            case "cifar100" -> CifarDataset.cifar100(dir, train);
            case "mnist" -> MnistDataset.mnist(dir, train);
            case "fashion-mnist" -> MnistDataset.fashionMnist(dir, train);
            default -> throw new IllegalArgumentException("unknown data set '" + name + "'; known: " + NAMES);
        };
    }

    /** Makes sure set {@code name} is present under the root and returns its directory. */
    public Path ensure(String name) {
        Source s = source(name);
        Path dir = root.resolve(s.dir());
        if (complete(dir, s)) {
            return dir;
        }
        if (!download) {
            throw new DatasetException("data set " + name + " not found in " + dir + " (missing one of " + s.required()
                    + ", plain or .gz) and downloading is off; put a copy there, or point --data-dir or $" + DataLocation.ENV
                    + " at a folder that holds " + s.dir() + "/");
        }
        String base = baseUrls.get(name);
        try {
            if (s.archive() != null) {
                Path archive = root.resolve(s.archive().name());
                downloader.fetch(URI.create(base + s.archive().name()), archive, s.archive().md5());
                TarArchive.extract(archive, root);
            } else {
                for (RemoteFile f : s.files()) {
                    String plain = f.name().substring(0, f.name().length() - 3);
                    if (!DataFiles.existsPlainOrGz(dir, plain)) {
                        downloader.fetch(URI.create(base + f.name()), dir.resolve(f.name()), f.md5());
                    }
                }
            }
        } catch (DatasetException e) {
            // Offline machines are common: say how to use a copy the user already has.
            throw new DatasetException(e.getMessage() + "; to use a local copy of " + name + ", put " + s.required()
                    + " (plain or .gz) in " + dir + ", or point --data-dir or $" + DataLocation.ENV
                    + " at a folder that holds " + s.dir() + "/", e);
        }
        if (!complete(dir, s)) {
            throw new DatasetException("data set " + name + ": after download, " + dir + " still lacks one of " + s.required());
        }
        return dir;
    }

    private static boolean complete(Path dir, Source s) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        for (String f : s.required()) {
            if (!DataFiles.existsPlainOrGz(dir, f)) {
                return false;
            }
        }
        return true;
    }

    private Source source(String name) {
        Source s = sources.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown data set '" + name + "'; known: " + NAMES);
        }
        return s;
    }
}
