package org.jqat.nn.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqat.core.io.DType;
import org.jqat.core.testing.SharedData;
import org.junit.jupiter.api.Test;

/** The PyTorch checkpoint reader on the shared real files and on hand-built pickles of every supported kind. */
class TorchCheckpointTest {

    @Test
    void legacyAndZipResNet20GiveIdenticalTensors() {
        Path legacy = SharedData.file("models", "resnet20-12fca82f.th");
        Path zip = SharedData.file("models", "resnet20-12fca82f-zip.pt");
        Object a = TorchCheckpoint.read(legacy);
        Object b = TorchCheckpoint.read(zip);
        assertEquals(91.78000183105469, ((Map<?, ?>) a).get("best_prec1"));
        assertEquals(91.78000183105469, ((Map<?, ?>) b).get("best_prec1"));
        Map<String, TorchTensor> sa = TorchCheckpoint.stateDict(a, legacy.toString());
        Map<String, TorchTensor> sb = TorchCheckpoint.stateDict(b, zip.toString());
        assertEquals(List.copyOf(sa.keySet()), List.copyOf(sb.keySet()));
        assertArrayEquals(new int[] {16, 3, 3, 3}, sa.get("module.conv1.weight").shape());
        assertArrayEquals(new int[] {10, 64}, sa.get("module.linear.weight").shape());
        long params = 0;
        for (String k : sa.keySet()) {
            TorchTensor x = sa.get(k);
            TorchTensor y = sb.get(k);
            assertEquals(DType.F32, x.dtype(), k);
            assertArrayEquals(x.shape(), y.shape(), k);
            float[] fx = x.toFloatArray();
            float[] fy = y.toFloatArray();
            for (int i = 0; i < fx.length; i++) {
                assertEquals(Float.floatToRawIntBits(fx[i]), Float.floatToRawIntBits(fy[i]), k + "[" + i + "]");
            }
            if (!k.contains("running_")) {
                params += fx.length;
            }
        }
        assertEquals(269_722, params, "ResNet-20 option A parameter count");
    }

    @Test
    void readsResNet56() {
        Path file = SharedData.file("models", "resnet56-4bfd9763.th");
        Map<String, TorchTensor> sd = TorchCheckpoint.stateDict(TorchCheckpoint.read(file), file.toString());
        assertTrue(sd.containsKey("module.layer3.8.bn2.running_var"));
        assertArrayEquals(new int[] {64, 64, 3, 3}, sd.get("module.layer3.8.conv2.weight").shape());
    }

    /** One storage viewed three ways: contiguous, transposed (strides), and with an offset, in both layouts. */
    @Test
    void stridesOffsetsAndSharedStoragesInBothLayouts() {
        float[] data = {0, 1, 2, 3, 4, 5, 6, 7};
        PickleWriter zipPickle = new PickleWriter().proto().op('}').mark();
        PickleWriter legacyPickle = new PickleWriter().proto().op('}').mark();
        for (PickleWriter p : List.of(zipPickle, legacyPickle)) {
            boolean zip = p == zipPickle;
            p.str("whole");
            tensor(p, zip, 0, new long[] {2, 4}, new long[] {4, 1});
            p.str("transposed");
            tensor(p, zip, 0, new long[] {4, 2}, new long[] {1, 4});
            p.str("tail");
            tensor(p, zip, 5, new long[] {3}, new long[] {1});
            p.op('u').stop();
        }
        Map<String, byte[]> storages = Map.of("0", PickleWriter.le(data));
        for (Object root : List.of(TorchCheckpoint.read("zip", PickleWriter.zip(zipPickle.bytes(), storages, "little")),
                TorchCheckpoint.read("legacy", PickleWriter.legacy(legacyPickle.bytes(), true, storages, Map.of("0", 4))))) {
            Map<String, TorchTensor> sd = TorchCheckpoint.stateDict(root, "test");
            assertArrayEquals(data, sd.get("whole").toFloatArray());
            assertArrayEquals(new float[] {0, 4, 1, 5, 2, 6, 3, 7}, sd.get("transposed").toFloatArray());
            assertArrayEquals(new float[] {5, 6, 7}, sd.get("tail").toFloatArray());
            assertSame(sd.get("whole").storage(), sd.get("transposed").storage(), "shared storage read once");
        }
    }

    private static void tensor(PickleWriter p, boolean zip, long offset, long[] size, long[] stride) {
        if (zip) {
            p.tensorV2("FloatStorage", "0", 8, offset, size, stride);
        } else {
            p.tensorLegacy("FloatStorage", "0", 8, offset, size, stride);
        }
    }

    @Test
    void everySupportedDtype() {
        record Case(String storage, DType dtype, byte[] bytes, double[] expected) {}
        List<Case> cases = List.of(
                new Case("FloatStorage", DType.F32, PickleWriter.le(1.5f, -2f), new double[] {1.5, -2}),
                new Case("HalfStorage", DType.F16, shorts(Float.floatToFloat16(0.5f), Float.floatToFloat16(-3f)), new double[] {0.5, -3}),
                new Case("BFloat16Storage", DType.BF16, shorts((short) (Float.floatToIntBits(1.25f) >>> 16), (short) (Float.floatToIntBits(-8f) >>> 16)),
                        new double[] {1.25, -8}),
                new Case("DoubleStorage", DType.F64, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putDouble(0.1).putDouble(-1e300).array(),
                        new double[] {0.1, -1e300}),
                new Case("LongStorage", DType.I64, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(-5).putLong(1L << 40).array(),
                        new double[] {-5, 1L << 40}),
                new Case("IntStorage", DType.I32, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(7).putInt(-7).array(), new double[] {7, -7}),
                new Case("ByteStorage", DType.U8, new byte[] {(byte) 200, 3}, new double[] {200, 3}),
                new Case("CharStorage", DType.I8, new byte[] {(byte) -100, 3}, new double[] {-100, 3}),
                new Case("BoolStorage", DType.BOOL, new byte[] {1, 0}, new double[] {1, 0}));
        for (Case c : cases) {
            byte[] pickle = new PickleWriter().proto().op('}').str("t")
                    .tensorV2(c.storage(), "k", 2, 0, new long[] {2}, new long[] {1}).op('s').stop().bytes();
            Object root = TorchCheckpoint.read(c.storage(), PickleWriter.zip(pickle, Map.of("k", c.bytes()), null));
            TorchTensor t = TorchCheckpoint.stateDict(root, "test").get("t");
            assertEquals(c.dtype(), t.dtype(), c.storage());
            assertArrayEquals(c.expected(), t.toDoubleArray(), c.storage());
        }
    }

    private static byte[] shorts(short... v) {
        ByteBuffer b = ByteBuffer.allocate(2 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : v) {
            b.putShort(s);
        }
        return b.array();
    }

    @Test
    void plainValuesAndWrappers() {
        byte[] pickle = new PickleWriter().proto().op('}').mark()
                .str("epoch").integer(90).str("arch").str("resnet").str("lr").real(0.1)
                .str("big").bigInteger(new java.math.BigInteger("123456789012345678901234567890"))
                .str("flags").mark().op(0x88).op(0x89).op('N').op('l')
                .str("model").op('}').str("w").tensorV2("FloatStorage", "0", 1, 0, new long[] {}, new long[] {}).op('s')
                .op('u').stop().bytes();
        Object root = TorchCheckpoint.read("wrapped", PickleWriter.zip(pickle, Map.of("0", PickleWriter.le(4f)), null));
        Map<?, ?> m = (Map<?, ?>) root;
        assertEquals(90L, m.get("epoch"));
        assertEquals("resnet", m.get("arch"));
        assertEquals(0.1, m.get("lr"));
        assertEquals(new java.math.BigInteger("123456789012345678901234567890"), m.get("big"));
        assertEquals(java.util.Arrays.asList(true, false, null), m.get("flags"));
        TorchTensor w = TorchCheckpoint.stateDict(root, "wrapped").get("w");
        assertArrayEquals(new int[0], w.shape());
        assertArrayEquals(new float[] {4f}, w.toFloatArray());
    }

    @Test
    void tensorsWithPythonAttributesAndParameters() {
        PickleWriter p = new PickleWriter().proto().op('}').mark().str("attr")
                .global("torch._tensor", "_rebuild_from_type_v2").mark()
                .global("torch._utils", "_rebuild_tensor_v2").global("torch._tensor", "Tensor").mark();
        // the inner arguments: storage, offset, size, stride, requires_grad, hooks
        p.mark().str("storage").global("torch", "FloatStorage").str("0").str("cpu").integer(2).op('t').op('Q')
                .integer(0).ints(2).ints(1).op(0x89).global("collections", "OrderedDict").op(')').op('R').op('t');
        p.op('}').op('t').op('R'); // state: an empty attribute dict
        p.str("param").global("torch._utils", "_rebuild_parameter").mark()
                .tensorV2("FloatStorage", "0", 2, 1, new long[] {1}, new long[] {1}).op(0x88).global("collections", "OrderedDict").op(')').op('R')
                .op('t').op('R');
        p.op('u').stop();
        Map<String, TorchTensor> sd = TorchCheckpoint.stateDict(
                TorchCheckpoint.read("attrs.pt", PickleWriter.zip(p.bytes(), Map.of("0", PickleWriter.le(3, 4)), null)), "attrs.pt");
        assertArrayEquals(new float[] {3, 4}, sd.get("attr").toFloatArray());
        assertArrayEquals(new float[] {4}, sd.get("param").toFloatArray());
        assertTrue(sd.get("param").requiresGrad());
    }

    /** Archives from other tools: deflated entries, and ZIP64 records (written by java.util.zip past 65,535 entries). */
    @Test
    void deflatedEntriesAndZip64Archives() throws java.io.IOException {
        byte[] pickle = new PickleWriter().proto().op('}').str("w")
                .tensorV2("FloatStorage", "0", 3, 0, new long[] {3}, new long[] {1}).op('s').stop().bytes();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(bytes)) {
            z.setLevel(1);
            z.putNextEntry(new java.util.zip.ZipEntry("a/data.pkl"));
            z.write(pickle);
            z.putNextEntry(new java.util.zip.ZipEntry("a/data/0"));
            z.write(PickleWriter.le(1, 2, 3));
            for (int i = 0; i < 65_600; i++) { // more entries than a plain end record can count
                z.putNextEntry(new java.util.zip.ZipEntry("a/pad/" + i));
            }
        }
        Object root = TorchCheckpoint.read("zip64.pt", bytes.toByteArray());
        assertArrayEquals(new float[] {1, 2, 3}, TorchCheckpoint.stateDict(root, "zip64.pt").get("w").toFloatArray());
    }

    @Test
    void refusesForeignGlobalsByName() {
        byte[] pickle = new PickleWriter().proto().global("posix", "system").str("echo pwned").op(0x85).op('R').stop().bytes();
        TorchFormatException e = assertThrows(TorchFormatException.class,
                () -> TorchCheckpoint.read("evil.pt", PickleWriter.zip(pickle, Map.of(), null)));
        assertEquals("evil.pt: pickle opcode at byte 2: refusing global 'posix.system' (weights-only loading allows tensors, "
                + "storages and plain containers only)", e.getMessage());
        byte[] module = new PickleWriter().proto().global("torch.nn.modules.conv", "Conv2d").stop().bytes();
        assertTrue(assertThrows(TorchFormatException.class, () -> TorchCheckpoint.read("m.pt", PickleWriter.zip(module, Map.of(), null)))
                .getMessage().contains("'torch.nn.modules.conv.Conv2d'"));
    }

    @Test
    void refusesBigEndianFiles() {
        byte[] pickle = new PickleWriter().proto().op('}').stop().bytes();
        TorchFormatException legacy = assertThrows(TorchFormatException.class,
                () -> TorchCheckpoint.read("be.th", PickleWriter.legacy(pickle, false, new LinkedHashMap<>(), Map.of())));
        assertTrue(legacy.getMessage().startsWith("be.th: written on a big-endian machine"), legacy.getMessage());
        TorchFormatException zip = assertThrows(TorchFormatException.class,
                () -> TorchCheckpoint.read("be.pt", PickleWriter.zip(pickle, Map.of(), "big")));
        assertTrue(zip.getMessage().startsWith("be.pt: byte order 'big'"), zip.getMessage());
    }

    @Test
    void clearErrorsForOtherFiles() {
        assertTrue(assertThrows(TorchFormatException.class, () -> TorchCheckpoint.read("x.pt", "hello".getBytes()))
                .getMessage().contains("not a PyTorch checkpoint"));
        byte[] plainPickle = new PickleWriter().proto().integer(3).stop().bytes();
        assertTrue(assertThrows(TorchFormatException.class, () -> TorchCheckpoint.read("p.pkl", plainPickle))
                .getMessage().contains("no torch.save magic number"));
        byte[] outOfBounds = new PickleWriter().proto().op('}').str("t")
                .tensorV2("FloatStorage", "0", 2, 1, new long[] {2}, new long[] {1}).op('s').stop().bytes();
        TorchFormatException e = assertThrows(TorchFormatException.class,
                () -> TorchCheckpoint.read("oob.pt", PickleWriter.zip(outOfBounds, Map.of("0", PickleWriter.le(1, 2)), null)));
        assertTrue(e.getMessage().contains("reaches past its storage"), e.getMessage());
        byte[] noTensors = new PickleWriter().proto().op('}').str("epoch").integer(3).op('s').stop().bytes();
        Object root = TorchCheckpoint.read("n.pt", PickleWriter.zip(noTensors, Map.of(), null));
        assertFalse(assertThrows(TorchFormatException.class, () -> TorchCheckpoint.stateDict(root, "n.pt")).getMessage().isEmpty());
    }
}
