package org.jqat.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private static final float[] FLOATS = {0f, -0f, 1f, -1.5f, 3.14159f, 1e-8f, 65504f, -1e30f,
            Float.MIN_VALUE, Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    @Test
    void everyDtypeRoundTripsThroughAFile() throws IOException {
        double[] doubles = {Math.PI, -Math.E, 1e-300, Double.MAX_VALUE, 0.1, -0.0};
        long[] longs = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE, 1L << 40};
        int[] ints = {Integer.MIN_VALUE, -1, 0, 7, Integer.MAX_VALUE, 123456};
        byte[] i8 = {-128, -1, 0, 1, 127, 42};
        byte[] u8 = {(byte) 255, (byte) 128, 0, 1, 127, 42};
        byte[] bools = {1, 0, 0, 1, 1, 0};
        Path file = dir.resolve("all.safetensors");
        new SafetensorsWriter()
                .add("f32", FLOATS, 3, 4)
                .addF16("f16", FLOATS, 12)
                .addBF16("bf16", FLOATS, 2, 2, 3)
                .add("f64", doubles, 6)
                .addLongs("i64", longs, 2, 3)
                .addInts("i32", ints, 3, 2)
                .addBytes("i8", DType.I8, i8, 6)
                .addBytes("u8", DType.U8, u8, 6)
                .addBytes("bool", DType.BOOL, bools, 6)
                .write(file);

        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            assertEquals(List.of("f32", "f16", "bf16", "f64", "i64", "i32", "i8", "u8", "bool"), List.copyOf(f.names()));
            assertEquals(file, f.path());
            assertFalse(f.memoryMapped());

            TensorEntry f32 = f.get("f32");
            assertEquals(DType.F32, f32.dtype());
            assertArrayEquals(new int[] {3, 4}, f32.shape());
            assertEquals(12, f32.numel());
            assertEquals(48, f32.byteSize());
            assertArrayEquals(FLOATS, f32.toFloatArray());

            float[] halves = f.get("f16").toFloatArray();
            for (int i = 0; i < FLOATS.length; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(FLOATS[i])), halves[i], "f16 element " + i);
            }
            assertEquals(3.140625f, halves[4]);   // nearest half to pi-ish 3.14159
            assertEquals(65504f, halves[6]);      // largest finite half survives exactly

            float[] bf = f.get("bf16").toFloatArray();
            assertArrayEquals(new int[] {2, 2, 3}, f.get("bf16").shape());
            assertEquals(1f, bf[2]);
            assertEquals(-1.5f, bf[3]);
            assertEquals(3.140625f, bf[4]);
            assertEquals(Float.POSITIVE_INFINITY, bf[10]);
            assertEquals(Float.POSITIVE_INFINITY, bf[9]);     // MAX_VALUE rounds up to infinity in bf16
            for (int i = 0; i < FLOATS.length; i++) {
                if (Float.isFinite(bf[i]) && bf[i] != 0) {
                    assertEquals(FLOATS[i], bf[i], Math.abs(FLOATS[i]) / 256, "bf16 element " + i);
                }
            }

            assertArrayEquals(doubles, f.get("f64").toDoubleArray());
            assertArrayEquals(longs, f.get("i64").toLongArray());
            assertArrayEquals(ints, f.get("i32").toIntArray());
            assertArrayEquals(new long[] {-128, -1, 0, 1, 127, 42}, f.get("i8").toLongArray());
            assertArrayEquals(new int[] {255, 128, 0, 1, 127, 42}, f.get("u8").toIntArray());
            assertArrayEquals(new float[] {255, 128, 0, 1, 127, 42}, f.get("u8").toFloatArray());
            assertArrayEquals(new long[] {1, 0, 0, 1, 1, 0}, f.get("bool").toLongArray());
            assertArrayEquals(new float[] {1, 0, 0, 1, 1, 0}, f.get("bool").toFloatArray());
            assertArrayEquals(u8, f.get("u8").toByteArray());

            // Cross-dtype conversions.
            assertArrayEquals(new double[] {Integer.MIN_VALUE, -1, 0, 7, Integer.MAX_VALUE, 123456}, f.get("i32").toDoubleArray());
            assertEquals((float) Math.PI, f.get("f64").toFloatArray()[0]);
            assertEquals((double) FLOATS[4], f.get("f32").toDoubleArray()[4]);
            assertArrayEquals(new int[] {-128, -1, 0, 1, 127, 42}, f.get("i8").toIntArray());
        }
    }

    @Test
    void dataIsLittleEndianAndHeaderMatchesTheReferenceLayout() {
        byte[] bytes = new SafetensorsWriter().metadata("op", "relu").add("x", new float[] {1f, 2f}, 2).toBytes();
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong(0);
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        assertEquals(bytes.length, 8 + n + 8);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals("{\"__metadata__\":{\"op\":\"relu\"},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                header.stripTrailing());
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '));
        assertEquals(1f, buf.getFloat((int) (8 + n)));
        assertEquals(2f, buf.getFloat((int) (8 + n + 4)));
    }

    @Test
    void metadataOrderAndLookup() {
        SafetensorsWriter w = new SafetensorsWriter().metadata("op", "conv2d").metadata("stride", "2").metadata("note", "é😀 \"q\"");
        String[] names = {"z", "a", "m", "layer.10.w", "layer.2.w", "b"};
        for (int i = 0; i < names.length; i++) {
            w.addInts(names[i], new int[] {i}, 1);
        }
        SafetensorsFile f = SafetensorsFile.fromBytes("mem", w.toBytes());
        assertEquals(Map.of("op", "conv2d", "stride", "2", "note", "é😀 \"q\""), f.metadata());
        // written sorted by key, so equal content is byte-identical whatever order it was set in
        assertEquals(List.of("note", "op", "stride"), List.copyOf(f.metadata().keySet()));
        assertEquals(List.of(names), List.copyOf(f.names()));
        assertEquals(names.length, f.size());
        for (int i = 0; i < names.length; i++) {
            assertTrue(f.contains(names[i]));
            assertArrayEquals(new int[] {i}, f.get(names[i]).toIntArray());
        }
        assertFalse(f.contains("missing"));
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.get("missing"));
        assertTrue(e.getMessage().startsWith("mem: tensor 'missing': no such tensor"), e.getMessage());
        assertEquals("missing", e.tensor());
        assertThrows(UnsupportedOperationException.class, () -> f.names().remove("z"));
        assertThrows(UnsupportedOperationException.class, () -> f.metadata().put("k", "v"));
    }

    @Test
    void noMetadataMeansEmptyMap() {
        SafetensorsFile f = SafetensorsFile.fromBytes("m", new SafetensorsWriter().add("x", new float[] {1}, 1).toBytes());
        assertEquals(Map.of(), f.metadata());
        SafetensorsFile empty = SafetensorsFile.fromBytes("e", new SafetensorsWriter().toBytes());
        assertEquals(0, empty.size());
        assertTrue(empty.names().isEmpty());
    }

    @Test
    void emptyTensorsAndScalars() {
        byte[] bytes = new SafetensorsWriter()
                .add("empty", new float[0], 0)
                .add("empty2d", new float[0], 3, 0)
                .add("scalar", new float[] {2.5f})
                .addLongs("scalarLong", new long[] {-9})
                .addBytes("emptyBool", DType.BOOL, new byte[0], 0, 5)
                .add("after", new float[] {7f, 8f}, 2)
                .toBytes();
        SafetensorsFile f = SafetensorsFile.fromBytes("edge", bytes);
        assertEquals(0, f.get("empty").numel());
        assertArrayEquals(new float[0], f.get("empty").toFloatArray());
        assertArrayEquals(new int[] {3, 0}, f.get("empty2d").shape());
        assertEquals(0, f.get("empty2d").toDoubleArray().length);
        TensorEntry scalar = f.get("scalar");
        assertEquals(0, scalar.rank());
        assertArrayEquals(new int[0], scalar.shape());
        assertEquals(1, scalar.numel());
        assertArrayEquals(new float[] {2.5f}, scalar.toFloatArray());
        assertArrayEquals(new long[] {-9}, f.get("scalarLong").toLongArray());
        assertEquals(0, f.get("emptyBool").toLongArray().length);
        assertArrayEquals(new float[] {7f, 8f}, f.get("after").toFloatArray());
    }

    @Test
    void writeIsAtomicAndReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafetensorsWriter().add("old", new float[] {1}, 1).write(file);
        new SafetensorsWriter().add("new", new float[] {2, 3}, 2).write(file);
        SafetensorsFile f = SafetensorsFile.open(file);
        assertEquals(List.of("new"), List.copyOf(f.names()));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
        // A failing write (the target is a non-empty directory) leaves no temp file either.
        Path blocked = dir.resolve("blocked");
        Files.createDirectories(blocked.resolve("child"));
        SafetensorsException e = assertThrows(SafetensorsException.class,
                () -> new SafetensorsWriter().add("x", new float[] {1}, 1).write(blocked));
        assertTrue(e.getMessage().startsWith(blocked.toString() + ": cannot write file"), e.getMessage());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(2, files.count());
        }
    }

    @Test
    void writerValidatesItsInput() {
        SafetensorsWriter w = new SafetensorsWriter().add("x", new float[6], 2, 3);
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> w.add("x", new float[1], 1));
        assertTrue(dup.getMessage().contains("'x'") && dup.getMessage().contains("unique"), dup.getMessage());
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class, () -> w.add("y", new float[5], 2, 3));
        assertEquals("tensor 'y': 5 values do not match shape [2, 3] (6 elements)", len.getMessage());
        assertThrows(IllegalArgumentException.class, () -> w.addLongs("neg", new long[0], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> w.add("__metadata__", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.addBytes("b", DType.BOOL, new byte[] {2}, 1));
        assertThrows(IllegalArgumentException.class, () -> w.addBytes("f", DType.F32, new byte[4], 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("huge", new float[0], 65536, 65536, 0 - 1));
        assertThrows(IllegalArgumentException.class, () -> w.add("overflow", new float[1], 65536, 65536, 65536));
        assertThrows(IllegalArgumentException.class, () -> w.add("lone\uD800", new float[1], 1));
        assertThrows(IllegalArgumentException.class, () -> w.metadata("k", null));
        // The writer copies arrays, so later changes by the caller do not leak into the file.
        float[] data = {1, 2};
        SafetensorsWriter copy = new SafetensorsWriter().add("d", data, 2);
        data[0] = 99;
        assertArrayEquals(new float[] {1, 2}, SafetensorsFile.fromBytes("c", copy.toBytes()).get("d").toFloatArray());
    }

    @Test
    void entriesCanBeCopiedIntoANewFile() {
        SafetensorsFile src = SafetensorsFile.fromBytes("src", new SafetensorsWriter()
                .addBF16("w", new float[] {1, 2, 3}, 3).addLongs("t", new long[] {5}, 1).toBytes());
        SafetensorsFile copy = SafetensorsFile.fromBytes("copy", new SafetensorsWriter()
                .metadata("k", "v").add(src.get("t")).add(src.get("w")).toBytes());
        assertEquals(List.of("t", "w"), List.copyOf(copy.names()));
        assertEquals(DType.BF16, copy.get("w").dtype());
        assertArrayEquals(new float[] {1, 2, 3}, copy.get("w").toFloatArray());
        assertArrayEquals(new long[] {5}, copy.get("t").toLongArray());
    }

    @Test
    void conversionsRejectWhatTheyCannotRepresent() {
        SafetensorsFile f = SafetensorsFile.fromBytes("conv.safetensors", new SafetensorsWriter()
                .add("w", new float[] {1.5f}, 1)
                .addLongs("big", new long[] {1L << 40}, 1).toBytes());
        SafetensorsException e = assertThrows(SafetensorsException.class, () -> f.get("w").toLongArray());
        assertTrue(e.getMessage().startsWith("conv.safetensors: tensor 'w': cannot convert F32 to long"), e.getMessage());
        assertThrows(SafetensorsException.class, () -> f.get("w").toIntArray());
        SafetensorsException big = assertThrows(SafetensorsException.class, () -> f.get("big").toIntArray());
        assertTrue(big.getMessage().contains("element 0 = 1099511627776 does not fit in an int"), big.getMessage());
        assertArrayEquals(new long[] {1L << 40}, f.get("big").toLongArray());
    }

    @Test
    void largeFileIsReadThroughAMemoryMap() {
        // Just over the threshold; a 64 MiB tensor written once, checked by sampling.
        int n = (int) (SafetensorsFile.MMAP_THRESHOLD / 4) + 1024;
        float[] big = new float[n];
        for (int i = 0; i < n; i++) {
            big[i] = i * 0.5f;
        }
        Path file = dir.resolve("big.safetensors");
        new SafetensorsWriter().metadata("kind", "big").add("big", big, n).addInts("tail", new int[] {1, 2, 3}, 3).write(file);
        big = null; // let the heap copy go before reading back

        SafetensorsFile f = SafetensorsFile.open(file);
        assertTrue(f.memoryMapped());
        TensorEntry e = f.get("big");
        assertTrue(e.segment().isMapped());
        assertEquals(n, e.numel());
        assertEquals(Map.of("kind", "big"), f.metadata());
        float[] back = e.toFloatArray();
        for (int i = 0; i < n; i += 9973) {
            assertEquals(i * 0.5f, back[i]);
        }
        assertEquals((n - 1) * 0.5f, back[n - 1]);
        assertArrayEquals(new int[] {1, 2, 3}, f.get("tail").toIntArray());
        // ByteBuffer view over the mapping, little-endian.
        assertEquals(0.5f, e.byteBuffer().getFloat(4));
    }

    @Test
    void readsARealPyTorchFile() {
        Path relu = Path.of("/work/shared/golden/relu.safetensors");
        assumeTrue(Files.isRegularFile(relu), "golden PyTorch files not present");
        try (SafetensorsFile f = SafetensorsFile.open(relu)) {
            assertEquals("relu", f.metadata().get("op"));
            assertEquals(List.of("x", "y", "grad_y", "grad_x"), List.copyOf(f.names()));
            float[] x = f.get("x").toFloatArray();
            float[] y = f.get("y").toFloatArray();
            float[] gy = f.get("grad_y").toFloatArray();
            float[] gx = f.get("grad_x").toFloatArray();
            for (String name : f.names()) {
                assertEquals(DType.F32, f.get(name).dtype());
            }
            assertEquals(x.length, f.get("x").numel());
            boolean sawPositive = false;
            boolean sawNegative = false;
            for (int i = 0; i < x.length; i++) {
                // The file's own content checks our decoding: y = relu(x), grad_x = grad_y * (x > 0).
                assertEquals(Math.max(x[i], 0f), y[i], "y[" + i + "]");
                assertEquals(x[i] > 0 ? gy[i] : 0f, gx[i], "grad_x[" + i + "]");
                sawPositive |= x[i] > 0;
                sawNegative |= x[i] < 0;
            }
            assertTrue(sawPositive && sawNegative);
        }
    }

    @Test
    void readsEveryGoldenFile() throws IOException {
        Path golden = Path.of("/work/shared/golden");
        assumeTrue(Files.isDirectory(golden), "golden PyTorch files not present");
        try (Stream<Path> files = Files.list(golden)) {
            List<Path> all = files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
            assumeTrue(!all.isEmpty());
            for (Path p : all) {
                SafetensorsFile f = SafetensorsFile.open(p);
                assertTrue(f.metadata().containsKey("op"), p + " has an op");
                for (String name : f.names()) {
                    TensorEntry e = f.get(name);
                    if (e.dtype().isIntegral()) {
                        assertEquals(e.numel(), e.toLongArray().length);
                    } else {
                        assertEquals(e.numel(), e.toFloatArray().length);
                    }
                }
            }
        }
    }
}
