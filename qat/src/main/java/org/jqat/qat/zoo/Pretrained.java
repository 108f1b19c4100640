package org.jqat.qat.zoo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.jqat.core.Rng;
import org.jqat.datasets.DataLocation;
import org.jqat.datasets.DatasetException;
import org.jqat.datasets.download.Checksums;
import org.jqat.datasets.download.Downloader;
import org.jqat.datasets.transforms.Presets;
import org.jqat.nn.checkpoint.Preprocessing;
import org.jqat.nn.checkpoint.StateDictImport;
import org.jqat.nn.zoo.CifarResNet;

/**
 * Published full-precision models, like torchvision's {@code weights=}: each entry names its
 * upstream file (URL and SHA-256), the jqat zoo model it loads into, the key mapping and the
 * preprocessing it was trained with. {@link #locate} finds the file under the data folder
 * ({@code <root>/models/<file>} or {@code <root>/<file>}) or downloads it there with its
 * checksum; {@link #load} imports it into a fresh model.
 *
 * @param name          e.g. {@code resnet20-cifar10}, used as {@code pretrained:resnet20-cifar10}
 * @param model         the jqat zoo name of the architecture ({@code resnet20})
 * @param depth         the CIFAR ResNet depth
 * @param dataset       the data set it was trained on
 * @param file          the upstream file name
 * @param url           where it is published
 * @param sha256        its SHA-256
 * @param preprocessing the input normalisation it was trained with
 * @param publishedTop1 the authors' top-1 on the test set, in percent
 * @param credit        licence and citation
 */
public record Pretrained(String name, String model, int depth, String dataset, String file, URI url, String sha256,
                         Preprocessing preprocessing, double publishedTop1, String credit) {
    /** The prefix that selects a pretrained model where a checkpoint file is expected. */
    public static final String PREFIX = "pretrained:";
    /** Folder under the data root where model files are looked for and downloaded. */
    public static final String MODELS_DIR = "models";

    private static final String AKAMASTER = "https://raw.githubusercontent.com/akamaster/pytorch_resnet_cifar10/master/pretrained_models/";
    private static final String AKAMASTER_CREDIT = "BSD-2-Clause, (c) 2018 Yerlan Idelbayev, github.com/akamaster/pytorch_resnet_cifar10";
    /** akamaster's ResNets were trained on ImageNet's statistics, not CIFAR-10's. */
    private static final Preprocessing IMAGENET_STATS = new Preprocessing(Presets.IMAGENET_MEAN, Presets.IMAGENET_STD,
            "akamaster/pytorch_resnet_cifar10 training recipe");

    /** Every entry by name. */
    public static final Map<String, Pretrained> ALL = Map.of(
            "resnet20-cifar10", new Pretrained("resnet20-cifar10", "resnet20", 20, "cifar10", "resnet20-12fca82f.th",
                    URI.create(AKAMASTER + "resnet20-12fca82f.th"),
                    "12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8", IMAGENET_STATS, 91.73, AKAMASTER_CREDIT),
            "resnet56-cifar10", new Pretrained("resnet56-cifar10", "resnet56", 56, "cifar10", "resnet56-4bfd9763.th",
                    URI.create(AKAMASTER + "resnet56-4bfd9763.th"),
                    "4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367", IMAGENET_STATS, 93.39, AKAMASTER_CREDIT));

    /** The entry called {@code name} (with or without the {@code pretrained:} prefix). */
    public static Pretrained named(String name) {
        String n = name.startsWith(PREFIX) ? name.substring(PREFIX.length()) : name;
        Pretrained p = ALL.get(n);
        if (p == null) {
            throw new IllegalArgumentException("unknown pretrained model '" + n + "'; known: " + new TreeSet<>(ALL.keySet()));
        }
        return p;
    }

    /** Whether a checkpoint argument names a pretrained entry rather than a file. */
    public static boolean isReference(String checkpoint) {
        return checkpoint != null && checkpoint.startsWith(PREFIX);
    }

    /** The entry for a preset's model and data set, or null when none is published. */
    public static Pretrained forModel(String model, String dataset) {
        for (Pretrained p : ALL.values()) {
            if (p.model().equals(model) && p.dataset().equals(dataset)) {
                return p;
            }
        }
        return null;
    }

    /** The entry whose published file has this SHA-256, or null: recognises a downloaded copy under any name. */
    public static Pretrained bySha256(String sha) {
        for (Pretrained p : ALL.values()) {
            if (p.sha256().equalsIgnoreCase(sha)) {
                return p;
            }
        }
        return null;
    }

    /** The URL to fetch from: {@link #url}, unless the system property {@code jqat.pretrained.<name>.url} overrides it (mirrors, tests). */
    public URI source() {
        return URI.create(System.getProperty("jqat.pretrained." + name + ".url", url.toString()));
    }

    /**
     * The verified file: {@code <root>/models/<file>} or {@code <root>/<file>} when present,
     * else downloaded to {@code <root>/models/<file>} (when {@code download}) and checked
     * against {@link #sha256}.
     *
     * @throws DatasetException when it is absent and cannot be downloaded (the message says where
     *                          to put a local copy), or a copy has the wrong checksum
     */
    public Path locate(DataLocation location, Downloader downloader, boolean download) {
        return locate(location, downloader, download, source());
    }

    /** As {@link #locate(DataLocation, Downloader, boolean)}, downloading from {@code from} (a mirror). */
    public Path locate(DataLocation location, Downloader downloader, boolean download, URI from) {
        Path root = location.root();
        Path target = root.resolve(MODELS_DIR).resolve(file);
        for (Path candidate : List.of(target, root.resolve(file))) {
            if (Files.isRegularFile(candidate)) {
                String got = sha256(candidate);
                if (!got.equalsIgnoreCase(sha256)) {
                    throw new DatasetException(candidate + ": sha256 " + got + " but " + PREFIX + name + " is " + sha256
                            + " (" + url + "); replace or delete the file");
                }
                return candidate;
            }
        }
        String hint = "put " + file + " (sha256 " + sha256 + ", from " + url + ") in " + root.resolve(MODELS_DIR)
                + ", or point --data-dir or $" + DataLocation.ENV + " at a folder that holds it (now " + location.origin() + ": " + root + ")";
        if (!download) {
            throw new DatasetException(PREFIX + name + " not found and downloading is off: " + hint);
        }
        try {
            downloader.fetch(from, target, Checksums.SHA256, sha256);
        } catch (DatasetException e) {
            throw new DatasetException(e.getMessage() + "; to use a local copy, " + hint, e);
        }
        return target;
    }

    /** A fresh, untrained model of this entry's architecture (option-A CIFAR ResNet). */
    public CifarResNet create(long seed) {
        return new CifarResNet(3, depth, 10, CifarResNet.Shortcut.A, 1e-5f, 0.1f, new Rng(seed));
    }

    /**
     * Locates (or downloads) the file and imports it into a fresh model, in eval mode.
     *
     * @throws IllegalArgumentException if the file does not fit the model
     */
    public CifarResNet load(DataLocation location, Downloader downloader, boolean download) {
        Path f = locate(location, downloader, download);
        CifarResNet m = create(0);
        StateDictImport.load(f, m, List.of());
        m.eval();
        return m;
    }

    private static String sha256(Path file) {
        try {
            return Checksums.hex(file, Checksums.SHA256);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
    }
}
