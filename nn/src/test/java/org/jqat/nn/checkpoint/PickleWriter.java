package org.jqat.nn.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes pickles opcode by opcode, as Python's pickler does at protocol 2, and wraps them in
 * the two torch.save layouts, so tests can build checkpoints with any dtype, view or hostile
 * global without PyTorch.
 */
final class PickleWriter {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleWriter proto() {
        return op(0x80).op(2);
    }

    PickleWriter op(int b) {
        out.write(b);
        return this;
    }

    PickleWriter mark() {
        return op('(');
    }

    PickleWriter str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length).array());
        out.writeBytes(b);
        return this;
    }

    PickleWriter integer(long v) {
        if (v >= 0 && v < 256) {
            return op('K').op((int) v);
        }
        if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            op('J');
            out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
            return this;
        }
        return bigInteger(BigInteger.valueOf(v));
    }

    PickleWriter bigInteger(BigInteger v) {
        byte[] be = v.toByteArray();
        op(0x8a).op(be.length);
        for (int i = be.length - 1; i >= 0; i--) {
            out.write(be[i]);
        }
        return this;
    }

    PickleWriter real(double d) {
        op('G');
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(d).array());
        return this;
    }

    PickleWriter global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** A tuple of ints, e.g. a size or stride. */
    PickleWriter ints(long... v) {
        mark();
        for (long x : v) {
            integer(x);
        }
        return op('t');
    }

    /**
     * {@code _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())} over a
     * zip-style storage reference; leaves the tensor on the stack.
     */
    PickleWriter tensorV2(String storageType, String key, long storageNumel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").mark();
        mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(storageNumel).op('t').op('Q');
        integer(offset).ints(size).ints(stride).op(0x89);
        global("collections", "OrderedDict").op(')').op('R');
        return op('t').op('R');
    }

    /** {@code _rebuild_tensor(storage, offset, size, stride)} over a legacy storage reference. */
    PickleWriter tensorLegacy(String storageType, String key, long storageNumel, long offset, long[] size, long[] stride) {
        global("torch._utils", "_rebuild_tensor").mark();
        mark().str("storage").global("torch", storageType).str(key).str("cuda:0").integer(storageNumel).op('N').op('t').op('Q');
        integer(offset).ints(size).ints(stride);
        return op('t').op('R');
    }

    PickleWriter stop() {
        return op('.');
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** A zip-format checkpoint: {@code archive/data.pkl}, one entry per storage, optionally a byteorder record. */
    static byte[] zip(byte[] pickle, Map<String, byte[]> storages, String byteorder) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bytes)) {
            stored(z, "archive/data.pkl", pickle);
            if (byteorder != null) {
                stored(z, "archive/byteorder", byteorder.getBytes(StandardCharsets.US_ASCII));
            }
            for (var e : storages.entrySet()) {
                stored(z, "archive/data/" + e.getKey(), e.getValue());
            }
            stored(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }

    /** A legacy checkpoint: magic, protocol, system info, the object pickle, the key list, then the storages. */
    static byte[] legacy(byte[] objectPickle, boolean littleEndian, Map<String, byte[]> storages, Map<String, Integer> elementSizes) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new PickleWriter().proto().bigInteger(TorchCheckpoint.LEGACY_MAGIC).stop().bytes());
        b.writeBytes(new PickleWriter().proto().integer(TorchCheckpoint.LEGACY_PROTOCOL).stop().bytes());
        PickleWriter info = new PickleWriter().proto().op('}').mark().str("protocol_version").integer(1001)
                .str("little_endian").op(littleEndian ? 0x88 : 0x89).op('u').stop();
        b.writeBytes(info.bytes());
        b.writeBytes(objectPickle);
        PickleWriter keys = new PickleWriter().proto().op(']').mark();
        storages.keySet().forEach(keys::str);
        b.writeBytes(keys.op('e').stop().bytes());
        for (var e : storages.entrySet()) {
            long numel = e.getValue().length / elementSizes.get(e.getKey());
            b.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(numel).array());
            b.writeBytes(e.getValue());
        }
        return b.toByteArray();
    }

    static byte[] le(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }
}
