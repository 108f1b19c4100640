package org.jqat.nn.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.jqat.core.testing.SharedData;
import org.junit.jupiter.api.Test;

/**
 * Mutation fuzzing of the PyTorch reader, like the safetensors fuzz test: whatever the bytes,
 * reading (and converting every tensor of the state dict) must either succeed or throw
 * {@link TorchFormatException}, quickly and without exhausting memory. The seeds are the shared
 * real ResNet-20 files in both layouts (when present) and small hand-built checkpoints; zip
 * seeds are mutated both raw (CRC checks then catch most damage) and inside {@code data.pkl},
 * re-zipped with a valid CRC so the mutation reaches the unpickler.
 */
class TorchCheckpointFuzzTest {

    private static final long SEED = 0x7012_C4A7L;
    private static final int MUTANTS = 20_000;
    /** Pickle opcodes and operands that steer the unpickler into its less common paths. */
    private static final byte[] INTERESTING = {'(', ')', '.', '0', '1', '2', 'N', 'R', 'Q', 'P', 'b', 'c', 'h', 'q', 'r', 'j',
            't', 'u', 's', 'a', 'e', 'l', 'd', '}', ']', 'K', 'M', 'J', 'X', 'G', (byte) 0x80, (byte) 0x85, (byte) 0x86,
            (byte) 0x87, (byte) 0x88, (byte) 0x89, (byte) 0x8a, (byte) 0x8b, (byte) 0x8c, (byte) 0x93, (byte) 0x94,
            (byte) 0x95, (byte) 0x81, 0x00, (byte) 0xFF, 0x7F, 0x01, '\n'};

    /** A seed: a whole file, or a zip's pickle plus its storages (mutated pickle, valid zip around it). */
    private record Seed(String name, byte[] file, byte[] pickle, Map<String, byte[]> storages, int hotStart, int hotEnd) {}

    private static List<Seed> seeds() throws IOException {
        List<Seed> seeds = new ArrayList<>();
        // Small hand-built files: every path of the format in a few hundred bytes.
        PickleWriter zipPickle = new PickleWriter().proto().op('}').mark().str("epoch").integer(3).str("state_dict")
                .global("collections", "OrderedDict").op(')').op('R').mark();
        PickleWriter legacyPickle = new PickleWriter().proto().op('}').mark();
        zipPickle.str("a").tensorV2("FloatStorage", "0", 8, 0, new long[] {2, 4}, new long[] {4, 1});
        zipPickle.str("b").tensorV2("FloatStorage", "0", 8, 2, new long[] {3, 2}, new long[] {1, 3});
        zipPickle.str("c").tensorV2("HalfStorage", "1", 2, 0, new long[] {2}, new long[] {1}).op('u').op('u').stop();
        legacyPickle.str("a").tensorLegacy("FloatStorage", "0", 8, 0, new long[] {2, 4}, new long[] {4, 1});
        legacyPickle.str("b").tensorLegacy("FloatStorage", "0", 8, 1, new long[] {7}, new long[] {1}).op('u').stop();
        Map<String, byte[]> storages = new LinkedHashMap<>();
        storages.put("0", PickleWriter.le(0, 1, 2, 3, 4, 5, 6, 7));
        storages.put("1", new byte[] {0, 60, 0, -68});
        byte[] smallZip = PickleWriter.zip(zipPickle.bytes(), storages, "little");
        seeds.add(new Seed("small-zip", smallZip, null, null, 0, smallZip.length));
        seeds.add(new Seed("small-zip-pickle", null, zipPickle.bytes(), storages, 0, zipPickle.bytes().length));
        byte[] smallLegacy = PickleWriter.legacy(legacyPickle.bytes(), true, Map.of("0", storages.get("0")), Map.of("0", 4));
        seeds.add(new Seed("small-legacy", smallLegacy, null, null, 0, smallLegacy.length));
        // The real files, when the shared folder is there.
        Path models = sharedModelsOrNull();
        if (models != null) {
            byte[] th = Files.readAllBytes(models.resolve("resnet20-12fca82f.th"));
            seeds.add(new Seed("resnet20.th", th, null, null, 0, 14_100)); // the pickles end at byte 14063
            byte[] pt = Files.readAllBytes(models.resolve("resnet20-12fca82f-zip.pt"));
            seeds.add(new Seed("resnet20.pt", pt, null, null, pt.length - 8_000, pt.length)); // central directory
            Map<String, byte[]> entries = new LinkedHashMap<>();
            byte[] pickle = null;
            // java.util.zip.ZipInputStream refuses torch's stored entries with data descriptors; ZipFile reads the directory.
            try (ZipFile z = new ZipFile(models.resolve("resnet20-12fca82f-zip.pt").toFile())) {
                for (ZipEntry e : java.util.Collections.list(z.entries())) {
                    byte[] data = z.getInputStream(e).readAllBytes();
                    String name = e.getName().substring(e.getName().indexOf('/') + 1);
                    if (name.equals("data.pkl")) {
                        pickle = data;
                    } else if (name.startsWith("data/")) {
                        entries.put(name.substring(5), data);
                    }
                }
            }
            seeds.add(new Seed("resnet20.pt data.pkl", null, pickle, entries, 0, pickle.length));
        }
        return seeds;
    }

    private static Path sharedModelsOrNull() {
        try {
            return SharedData.models();
        } catch (org.opentest4j.TestAbortedException absent) {
            return null;
        }
    }

    private static final class Stats {
        int rejected;
        int accepted;
        long slowestNanos;
        final List<String> unexpected = new ArrayList<>();
    }

    @Test
    void mutantsOnlyEverRaiseTorchFormatException() throws IOException {
        List<Seed> seeds = seeds();
        for (Seed s : seeds) {
            readFully(s.name(), bytesOf(s, s.file() != null ? s.file() : s.pickle())); // the seeds themselves are valid
        }
        Stats stats = new Stats();
        Random random = new Random(SEED);
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < MUTANTS; i++) {
                Seed seed = seeds.get(random.nextInt(seeds.size()));
                StringBuilder how = new StringBuilder(seed.name()).append(": ");
                byte[] base = seed.file() != null ? seed.file() : seed.pickle();
                byte[] mutant = bytesOf(seed, mutate(base, seed.hotStart(), Math.min(seed.hotEnd(), base.length), random, how));
                long t0 = System.nanoTime();
                try {
                    readFully("mutant-" + i, mutant);
                    stats.accepted++;
                } catch (TorchFormatException expected) {
                    stats.rejected++;
                } catch (Throwable t) { // including Errors: OOM and stack overflow are failures too
                    if (stats.unexpected.size() < 10) {
                        stats.unexpected.add("mutant " + i + " (" + how + "): " + t);
                    }
                }
                stats.slowestNanos = Math.max(stats.slowestNanos, System.nanoTime() - t0);
            }
        });
        System.out.printf("torch checkpoint fuzz: %d mutants of %d seeds, %d rejected, %d accepted, slowest %.1f ms%n",
                MUTANTS, seeds.size(), stats.rejected, stats.accepted, stats.slowestNanos / 1e6);
        if (!stats.unexpected.isEmpty()) {
            fail("unexpected exceptions:\n" + String.join("\n", stats.unexpected));
        }
        assertEquals(MUTANTS, stats.rejected + stats.accepted);
        assertTrue(stats.rejected > MUTANTS / 10, "rejected " + stats.rejected);
        assertTrue(stats.accepted > MUTANTS / 50, "accepted " + stats.accepted);
        assertTrue(stats.slowestNanos < 2_000_000_000L, "slowest " + stats.slowestNanos / 1e6 + " ms");
    }

    private static byte[] bytesOf(Seed s, byte[] mutated) {
        return s.file() != null ? mutated : PickleWriter.zip(mutated, s.storages(), null);
    }

    /** Reads the file and converts every tensor of its state dict, as an import would. */
    private static void readFully(String source, byte[] file) {
        Object root = TorchCheckpoint.read(source, file);
        for (TorchTensor t : TorchCheckpoint.stateDict(root, source).values()) {
            if (t.toFloatArray().length != t.numel()) {
                throw new AssertionError("length mismatch for " + t);
            }
        }
    }

    /** One to three mutations, mostly inside [hotStart, hotEnd) where the parsing logic lives. */
    static byte[] mutate(byte[] seed, int hotStart, int hotEnd, Random r, StringBuilder how) {
        byte[] b = seed.clone();
        int count = 1 + r.nextInt(3);
        for (int m = 0; m < count && b.length > 0; m++) {
            int kind = r.nextInt(8);
            how.append(kind).append(' ');
            int pos = r.nextInt(4) == 0 || hotEnd > b.length || hotStart >= hotEnd ? r.nextInt(b.length) : hotStart + r.nextInt(hotEnd - hotStart);
            b = switch (kind) {
                case 0 -> { // flip bits
                    b[pos] ^= (byte) (1 << r.nextInt(8));
                    yield b;
                }
                case 1, 2 -> { // an interesting byte
                    b[pos] = INTERESTING[r.nextInt(INTERESTING.length)];
                    yield b;
                }
                case 3 -> Arrays.copyOf(b, r.nextInt(b.length + 1)); // truncate
                case 4 -> { // delete a short run
                    int len = Math.min(b.length - pos, 1 + r.nextInt(16));
                    byte[] out = new byte[b.length - len];
                    System.arraycopy(b, 0, out, 0, pos);
                    System.arraycopy(b, pos + len, out, pos, b.length - pos - len);
                    yield out;
                }
                case 5 -> { // duplicate a short run in place
                    int len = Math.min(b.length - pos, 1 + r.nextInt(16));
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, pos + len);
                    System.arraycopy(b, pos, out, pos + len, b.length - pos);
                    yield out;
                }
                case 6 -> { // a random little-endian number where an operand may be
                    long v = switch (r.nextInt(4)) {
                        case 0 -> -1;
                        case 1 -> r.nextInt(300);
                        case 2 -> Integer.MAX_VALUE;
                        default -> r.nextLong();
                    };
                    for (int k = 0; k < 4 && pos + k < b.length; k++) {
                        b[pos + k] = (byte) (v >>> (8 * k));
                    }
                    yield b;
                }
                default -> { // random bytes
                    int n = 1 + r.nextInt(4);
                    for (int k = 0; k < n && pos + k < b.length; k++) {
                        b[pos + k] = (byte) r.nextInt();
                    }
                    yield b;
                }
            };
        }
        return b;
    }
}
