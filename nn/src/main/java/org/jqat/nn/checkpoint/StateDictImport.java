package org.jqat.nn.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.nn.LoadReport;
import org.jqat.nn.Module;

/**
 * Brings a state dict written by PyTorch into a jqat model: reads a {@code .pt}/{@code .pth}/
 * {@code .th} checkpoint ({@link TorchCheckpoint}) or a PyTorch-layout {@code .safetensors},
 * finds the state dict (top level, or under {@code state_dict} / {@code model}), strips the
 * {@code module.} prefix of {@code nn.DataParallel}, renames keys, and loads strictly.
 *
 * <p>Renames apply to whole dotted prefixes: {@code linear=fc} maps {@code linear.weight} to
 * {@code fc.weight} but leaves {@code linear2.weight} alone; an empty target strips the prefix.
 * The user's renames apply first, in order; then {@link #KNOWN_LAYOUTS} fill in names the model
 * lacks (so they never disturb a model that has the original name).
 */
public final class StateDictImport {

    /** A key rename: a dotted prefix {@code from} becomes {@code to}. */
    public record Rename(String from, String to) {
        public Rename {
            if (from.isBlank() || from.startsWith(".") || from.endsWith(".") || to.startsWith(".") || to.endsWith(".")) {
                throw new IllegalArgumentException("rename '" + from + "=" + to + "': expected FROM=TO with dotted key prefixes, e.g. linear=fc");
            }
        }

        /** Parses {@code FROM=TO}. */
        public static Rename parse(String spec) {
            int eq = spec.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--rename '" + spec + "': expected FROM=TO, e.g. linear=fc");
            }
            return new Rename(spec.substring(0, eq).strip(), spec.substring(eq + 1).strip());
        }

        /** The renamed key, or the key itself when the prefix does not match. */
        public String apply(String key) {
            if (key.equals(from)) {
                return to;
            }
            if (key.startsWith(from + ".")) {
                String rest = key.substring(from.length() + 1);
                return to.isEmpty() ? rest : to + "." + rest;
            }
            return key;
        }

        @Override
        public String toString() {
            return from + "=" + to;
        }
    }

    /** Names of layouts we know, mapped to jqat's: the CIFAR ResNets of akamaster/pytorch_resnet_cifar10 call the classifier {@code linear}. */
    public static final List<Rename> KNOWN_LAYOUTS = List.of(new Rename("linear", "fc"));

    /** A source file's state dict as read, before any renaming. */
    public record Source(Path file, String format, String sha256, Map<String, Tensor> stateDict) {}

    /** What {@link #load} did: the source, and each key that changed name ("from -> to"). */
    public record Result(Source source, List<String> renamed) {}

    private StateDictImport() {
    }

    /**
     * Reads the state dict of a PyTorch checkpoint or a safetensors file (a plain PyTorch state
     * dict, or a jqat checkpoint whose {@code model.} entries are taken).
     *
     * @throws TorchFormatException     if a PyTorch file is malformed or holds no state dict
     * @throws UncheckedIOException     if the file cannot be read
     */
    public static Source read(Path file) {
        String sha = sha256(file);
        if (isSafetensors(file)) {
            Map<String, Tensor> sd = new LinkedHashMap<>();
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                boolean jqat = f.metadata().containsKey(Checkpoint.FORMAT);
                for (String name : f.names()) {
                    if (jqat && !name.startsWith(Checkpoint.MODEL)) {
                        continue; // optimizer, scheduler and RNG state of a jqat checkpoint
                    }
                    String key = jqat ? name.substring(Checkpoint.MODEL.length()) : name;
                    sd.put(key, Tensor.of(f.get(name).toFloatArray(), f.get(name).shape()));
                }
                return new Source(file, jqat ? "jqat checkpoint" : "safetensors", sha, sd);
            }
        }
        Object root = TorchCheckpoint.read(file);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        TorchCheckpoint.stateDict(root, file.toString()).forEach((k, t) -> sd.put(k, t.toTensor()));
        return new Source(file, isZip(file) ? "PyTorch zip" : "PyTorch legacy", sha, sd);
    }

    /**
     * Maps a source state dict's keys onto a model's: strips {@code module.}, applies
     * {@code renames}, then the {@link #KNOWN_LAYOUTS} for keys the model lacks.
     *
     * @param renamed receives "from -> to" for each key that changed (may be null)
     * @throws IllegalArgumentException if two source keys map to the same name
     */
    public static Map<String, Tensor> mapKeys(Map<String, Tensor> source, Set<String> modelKeys, List<Rename> renames, List<String> renamed) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        for (var e : source.entrySet()) {
            String key = e.getKey();
            while (key.startsWith("module.")) {
                key = key.substring("module.".length());
            }
            for (Rename r : renames) {
                key = r.apply(key);
            }
            if (!modelKeys.contains(key)) {
                for (Rename r : KNOWN_LAYOUTS) {
                    String k = r.apply(key);
                    if (modelKeys.contains(k)) {
                        key = k;
                        break;
                    }
                }
            }
            String before = origin.put(key, e.getKey());
            if (before != null) {
                throw new IllegalArgumentException("keys '" + before + "' and '" + e.getKey() + "' both map to '" + key + "'");
            }
            if (renamed != null && !key.equals(e.getKey())) {
                renamed.add(e.getKey() + " -> " + key);
            }
            out.put(key, e.getValue());
        }
        return out;
    }

    /**
     * Reads {@code file} and loads its state dict into {@code model}, strictly: every parameter
     * and buffer must be there with its shape, and nothing else.
     *
     * @throws IllegalArgumentException naming the file and every missing, unexpected and
     *                                  mis-shaped key when the state dict does not fit
     */
    public static Result load(Path file, Module model, List<Rename> renames) {
        Source src = read(file);
        List<String> renamed = new ArrayList<>();
        Map<String, Tensor> own = model.stateDict();
        Map<String, Tensor> mapped = mapKeys(src.stateDict(), own.keySet(), renames, renamed);
        LoadReport report = LoadReport.compare(own, mapped);
        if (!report.isClean()) {
            throw new IllegalArgumentException(file + " does not fit the model: " + report
                    + " (map names with --rename FROM=TO)");
        }
        model.loadStateDict(mapped, true);
        return new Result(src, List.copyOf(renamed));
    }

    /** Lower-case hex SHA-256 of a file's bytes. */
    public static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always provides SHA-256", e);
        }
    }

    /** Safetensors by content: an 8-byte little-endian header length, then a JSON object. */
    public static boolean isSafetensors(Path file) {
        ByteBuffer head = head(file, 9);
        return head.limit() == 9 && head.order(ByteOrder.LITTLE_ENDIAN).getLong(0) > 1 && head.get(8) == '{';
    }

    private static boolean isZip(Path file) {
        ByteBuffer head = head(file, 2);
        return head.limit() == 2 && head.get(0) == 'P' && head.get(1) == 'K';
    }

    private static ByteBuffer head(Path file, int n) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining() && ch.read(b) > 0) {
                // keep reading: a channel may return fewer bytes than asked
            }
            return b.flip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
    }
}
