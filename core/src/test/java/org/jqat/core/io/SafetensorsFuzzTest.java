package org.jqat.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutation fuzzing of the reader: whatever the bytes, reading must either succeed or throw
 * {@link SafetensorsException}, quickly and without exhausting memory. Accepted mutants must
 * also survive a rewrite through {@link SafetensorsWriter} unchanged.
 */
class SafetensorsFuzzTest {

    private static final long SEED = 0x5AFE_7E25L;
    private static final int MUTANTS = 20_000;
    /** Every this-many mutants go through a real file and {@link SafetensorsFile#open}. */
    private static final int FILE_EVERY = 50;

    private static final byte[] INTERESTING_BYTES = {0x00, (byte) 0xFF, '{', '}', '"', '[', ']', ',', ':', '\\',
            '-', '0', '1', '9', 'e', '.', ' ', (byte) 0x80, (byte) 0xC0, (byte) 0xED, 0x7F, 0x01};
    private static final String[] INTERESTING_NUMBERS = {"0", "-1", "1", "2", "3", "7", "8", "255", "4096",
            "2147483647", "2147483648", "-2147483648", "4294967296", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "99999999999999999999999", "1.5", "-0", "1e3", "1E400", "0.0", "65536"};
    private static final String[] DTYPE_STRINGS = {"F32", "F16", "BF16", "F64", "I64", "I32", "I8", "U8", "BOOL",
            "F8_E4M3", "U16", "f32", "", "F32 ", "\\u0046\\u0033\\u0032", "\\uD800", "é"};
    private static final Pattern NUMBER = Pattern.compile("-?\\d+(\\.\\d+)?([eE][+-]?\\d+)?");
    private static final Pattern DTYPE = Pattern.compile("\"dtype\":\"([A-Z0-9_]+)\"");
    private static final String STRUCTURAL = "{}[],:\"";

    @TempDir
    Path dir;

    private static List<byte[]> seeds() {
        float[] f = {0.5f, -1.25f, 3f, 1e-3f, -7f, 100f};
        List<byte[]> seeds = new ArrayList<>();
        seeds.add(new SafetensorsWriter()
                .metadata("op", "conv2d").metadata("stride", "2").metadata("note", "é\"\\")
                .add("weight", f, 2, 3)
                .addF16("half", f, 6)
                .addBF16("brain", f, 3, 2)
                .add("double", new double[] {1, -2, 3.5}, 3)
                .toBytes());
        seeds.add(new SafetensorsWriter()
                .metadata("op", "cross_entropy")
                .add("logits", f, 3, 2)
                .addLongs("target", new long[] {0, 1, -5}, 3)
                .addInts("ints", new int[] {1, -1, Integer.MAX_VALUE, 0}, 2, 2)
                .toBytes());
        seeds.add(new SafetensorsWriter()
                .addBytes("mask", DType.BOOL, new byte[] {1, 0, 1, 1}, 4)
                .addBytes("u", DType.U8, new byte[] {(byte) 200, 3}, 2)
                .addBytes("s", DType.I8, new byte[] {-3, 3, 9}, 3, 1)
                .add("scalar", new float[] {42f})
                .add("empty", new float[0], 0, 4)
                .toBytes());
        seeds.add(new SafetensorsWriter().metadata("op", "relu").toBytes());
        return seeds;
    }

    /** Outcome counters; a mutant is rejected when open fails, or accepted (conversions may still fail). */
    private static final class Stats {
        int rejected;
        int accepted;
        int conversionRejected;
        long slowestNanos;
        final List<String> unexpected = new ArrayList<>();
    }

    @Test
    void mutantsOnlyEverRaiseSafetensorsException() throws IOException {
        List<byte[]> seeds = seeds();
        for (byte[] seed : seeds) {
            readFully(SafetensorsFile.fromBytes("seed", seed)); // sanity: seeds themselves are valid
        }
        Path file = dir.resolve("mutant.safetensors");
        Stats stats = new Stats();
        Random random = new Random(SEED);

        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < MUTANTS; i++) {
                byte[] seed = seeds.get(random.nextInt(seeds.size()));
                StringBuilder how = new StringBuilder();
                byte[] mutant = mutate(seed, random, how);
                long t0 = System.nanoTime();
                try {
                    SafetensorsFile parsed;
                    if (i % FILE_EVERY == 0) {
                        Files.write(file, mutant);
                        parsed = SafetensorsFile.open(file);
                    } else {
                        parsed = SafetensorsFile.fromBytes("mutant-" + i, mutant);
                    }
                    stats.accepted++;
                    if (!readFully(parsed)) {
                        stats.conversionRejected++;
                    }
                    try {
                        checkRewriteIsIdentical(parsed);
                    } catch (SafetensorsException e) {
                        throw new AssertionError("rewrite of an accepted file failed", e);
                    }
                } catch (SafetensorsException expected) {
                    stats.rejected++;
                } catch (Throwable t) {   // including Errors: OOM and stack overflow are failures too
                    if (stats.unexpected.size() < 10) {
                        stats.unexpected.add("mutant " + i + " (" + how + "): " + t);
                    }
                }
                stats.slowestNanos = Math.max(stats.slowestNanos, System.nanoTime() - t0);
            }
        });

        System.out.printf("safetensors fuzz: %d mutants, %d rejected, %d accepted (%d of them with a rejected"
                        + " conversion), slowest parse %.1f ms%n", MUTANTS, stats.rejected, stats.accepted,
                stats.conversionRejected, stats.slowestNanos / 1e6);
        if (!stats.unexpected.isEmpty()) {
            fail("unexpected exceptions:\n" + String.join("\n", stats.unexpected));
        }
        assertEquals(MUTANTS, stats.rejected + stats.accepted);
        // Both outcomes must be common, or the mutator is not exercising the reader.
        assertTrue(stats.rejected > MUTANTS / 10, "rejected " + stats.rejected);
        assertTrue(stats.accepted > MUTANTS / 20, "accepted " + stats.accepted);
        assertTrue(stats.slowestNanos < 2_000_000_000L, "slowest parse " + stats.slowestNanos / 1e6 + " ms");
    }

    /** Reads everything; returns false if a conversion was rejected (with SafetensorsException). */
    private static boolean readFully(SafetensorsFile f) {
        f.metadata().forEach((k, v) -> {
            if (k == null || v == null) {
                throw new AssertionError("null metadata");
            }
        });
        boolean allConverted = true;
        for (String name : f.names()) {
            TensorEntry e = f.get(name);
            if (e.byteSize() != e.numel() * e.dtype().byteSize()) {
                throw new AssertionError("inconsistent entry " + e);
            }
            e.toByteArray();
            try {
                if (e.toFloatArray().length != e.numel() || e.toDoubleArray().length != e.numel()) {
                    throw new AssertionError("length mismatch for " + e);
                }
                if (e.dtype().isIntegral()) {
                    e.toLongArray();
                    e.toIntArray();
                }
            } catch (SafetensorsException rejected) {
                allConverted = false;
            }
        }
        return allConverted;
    }

    /** An accepted file, rewritten entry by entry, must read back with identical content. */
    private static void checkRewriteIsIdentical(SafetensorsFile f) {
        SafetensorsWriter w = new SafetensorsWriter();
        f.metadata().forEach(w::metadata);
        for (String name : f.names()) {
            w.add(f.get(name));
        }
        SafetensorsFile back = SafetensorsFile.fromBytes("rewrite", w.toBytes());
        assertEquals(f.metadata(), back.metadata());
        assertEquals(List.copyOf(f.names()), List.copyOf(back.names()));
        for (String name : f.names()) {
            TensorEntry a = f.get(name);
            TensorEntry b = back.get(name);
            assertEquals(a.dtype(), b.dtype());
            assertArrayEquals(a.shape(), b.shape());
            assertArrayEquals(a.toByteArray(), b.toByteArray());
        }
    }

    /** Applies one to three random mutations, describing them in {@code how} for failure reports. */
    static byte[] mutate(byte[] seed, Random r, StringBuilder how) {
        byte[] b = seed.clone();
        int count = 1 + r.nextInt(3);
        for (int m = 0; m < count; m++) {
            int kind = r.nextInt(10);
            how.append(kind).append(' ');
            b = switch (kind) {
                case 0 -> flipBits(b, r);
                case 1 -> overwriteBytes(b, r);
                case 2 -> Arrays.copyOf(b, r.nextInt(b.length + 1));           // truncate
                case 3 -> extend(b, r);
                case 4 -> rewriteHeaderLength(b, r);
                case 5, 6 -> jsonMutation(b, r, NUMBER, INTERESTING_NUMBERS);
                case 7 -> jsonMutation(b, r, DTYPE, DTYPE_STRINGS);
                case 8 -> structuralMutation(b, r);
                default -> spliceHeaderBytes(b, r);
            };
        }
        return b;
    }

    private static byte[] flipBits(byte[] b, Random r) {
        if (b.length == 0) {
            return b;
        }
        int flips = 1 + r.nextInt(4);
        for (int i = 0; i < flips; i++) {
            int pos = position(b, r);
            b[pos] ^= (byte) (1 << r.nextInt(8));
        }
        return b;
    }

    private static byte[] overwriteBytes(byte[] b, Random r) {
        if (b.length == 0) {
            return b;
        }
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
            b[position(b, r)] = INTERESTING_BYTES[r.nextInt(INTERESTING_BYTES.length)];
        }
        return b;
    }

    /** Mostly targets the length field and header, where the parsing logic lives. */
    private static int position(byte[] b, Random r) {
        int headerEnd = (int) Math.min(b.length, 8 + Math.max(0, Math.min(headerLength(b), b.length)));
        return r.nextInt(4) == 0 || headerEnd == 0 ? r.nextInt(b.length) : r.nextInt(headerEnd);
    }

    private static long headerLength(byte[] b) {
        return b.length < 8 ? 0 : ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    private static byte[] extend(byte[] b, Random r) {
        byte[] out = Arrays.copyOf(b, b.length + 1 + r.nextInt(64));
        for (int i = b.length; i < out.length; i++) {
            out[i] = r.nextBoolean() ? (byte) r.nextInt() : INTERESTING_BYTES[r.nextInt(INTERESTING_BYTES.length)];
        }
        return out;
    }

    private static byte[] rewriteHeaderLength(byte[] b, Random r) {
        if (b.length < 8) {
            return b;
        }
        long current = headerLength(b);
        long value = switch (r.nextInt(7)) {
            case 0 -> r.nextLong();
            case 1 -> -1L;
            case 2 -> 0L;
            case 3 -> current + r.nextInt(17) - 8;
            case 4 -> b.length - 8 + r.nextInt(3) - 1;
            case 5 -> 100_000_000L + r.nextInt(3) - 1;
            default -> r.nextInt(b.length + 16);
        };
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value);
        return b;
    }

    /** Splits a well-formed file into header text and data, or returns null if it is not one. */
    private static String headerText(byte[] b) {
        long n = headerLength(b);
        if (b.length < 8 || n < 0 || n > b.length - 8) {
            return null;
        }
        return new String(b, 8, (int) n, StandardCharsets.UTF_8);
    }

    private static byte[] rebuild(byte[] original, String header, Random r) {
        long n = headerLength(original);
        byte[] data = Arrays.copyOfRange(original, (int) (8 + n), original.length);
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        // Usually keep the length field consistent so the mutation reaches the JSON validation.
        long length = r.nextInt(8) == 0 ? n : h.length;
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(length).put(h).put(data).array();
    }

    private static byte[] jsonMutation(byte[] b, Random r, Pattern pattern, String[] replacements) {
        String header = headerText(b);
        if (header == null) {
            return b;
        }
        List<int[]> spans = new ArrayList<>();
        Matcher m = pattern.matcher(header);
        while (m.find()) {
            int group = m.groupCount() >= 1 && pattern == DTYPE ? 1 : 0;
            spans.add(new int[] {m.start(group), m.end(group)});
        }
        if (spans.isEmpty()) {
            return b;
        }
        int[] span = spans.get(r.nextInt(spans.size()));
        String replacement;
        if (pattern == NUMBER && r.nextInt(3) == 0) {
            // Nudge an existing value: off-by-one and off-by-element-size errors are the subtle ones.
            String old = header.substring(span[0], span[1]);
            try {
                replacement = Long.toString(Long.parseLong(old) + (r.nextInt(17) - 8));
            } catch (NumberFormatException notALong) {
                replacement = INTERESTING_NUMBERS[r.nextInt(INTERESTING_NUMBERS.length)];
            }
        } else {
            replacement = replacements[r.nextInt(replacements.length)];
        }
        return rebuild(b, header.substring(0, span[0]) + replacement + header.substring(span[1]), r);
    }

    private static byte[] structuralMutation(byte[] b, Random r) {
        String header = headerText(b);
        if (header == null || header.isEmpty()) {
            return b;
        }
        int pos = r.nextInt(header.length());
        String mutated = switch (r.nextInt(5)) {
            case 0 -> header.substring(0, pos) + STRUCTURAL.charAt(r.nextInt(STRUCTURAL.length())) + header.substring(pos + 1);
            case 1 -> header.substring(0, pos) + header.substring(pos + 1);                     // delete a char
            case 2 -> header.substring(0, pos) + "[".repeat(1 + r.nextInt(200)) + header.substring(pos);
            case 3 -> {
                // Duplicate a tensor entry under a new name: same offsets, so it overlaps.
                int colon = header.indexOf("\":{\"dtype\"");
                if (colon < 0) {
                    yield header;
                }
                int end = header.indexOf('}', colon);
                int nameStart = header.lastIndexOf('"', colon - 1);
                String entry = header.substring(colon + 2, end + 1);
                yield header.substring(0, nameStart) + "\"dup" + pos + "\":" + entry + "," + header.substring(nameStart);
            }
            default -> header.substring(0, pos) + " " + header.substring(pos);                  // whitespace
        };
        return rebuild(b, mutated, r);
    }

    private static byte[] spliceHeaderBytes(byte[] b, Random r) {
        if (b.length < 9) {
            return b;
        }
        int from = 8 + r.nextInt(b.length - 8);
        int len = r.nextInt(Math.min(16, b.length - from) + 1);
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, from + len, out, from, b.length - from - len);
        return out;
    }
}
