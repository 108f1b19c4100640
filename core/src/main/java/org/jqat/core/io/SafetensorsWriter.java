package org.jqat.core.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Builds a safetensors file: metadata (sorted by key) plus tensors, written in insertion order.
 *
 * <pre>{@code
 * new SafetensorsWriter()
 *     .metadata("op", "relu")
 *     .add("x", xs, 2, 3)              // F32
 *     .addLongs("target", labels, 2)   // I64
 *     .write(Path.of("case.safetensors"));
 * }</pre>
 *
 * <p>Arrays are copied when added, so callers may reuse them. The header is compact JSON padded
 * with spaces to a multiple of 8 bytes (as the reference implementation does, which keeps the
 * data section 8-byte aligned); data is little-endian and contiguous. {@link #write} is atomic:
 * readers see either the old file or the complete new one, never a partial write.
 *
 * <p>The {@code add} methods throw {@link IllegalArgumentException} for a null or duplicate
 * name, a negative dimension, or a data length that differs from the shape's element count.
 * Not thread-safe.
 */
public final class SafetensorsWriter {

    private static final String METADATA_KEY = "__metadata__";
    private static final int CHUNK_BYTES = 1 << 20;
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    /**
     * One tensor to write: {@code payload} is a heap array (or a segment of raw little-endian
     * bytes) read with {@code srcLayout} and written with the little-endian {@code dstLayout}.
     */
    private record Pending(String name, DType dtype, int[] shape, long numel, MemorySegment payload,
                           ValueLayout srcLayout, ValueLayout dstLayout) {
        long byteSize() {
            return numel * dtype.byteSize();
        }

        /** Payload units to copy; differs from numel when raw bytes stand in for wider elements. */
        long unitCount() {
            return byteSize() / srcLayout.byteSize();
        }
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    /** Creates an empty writer. */
    public SafetensorsWriter() {
    }

    /**
     * Sets a {@code __metadata__} entry (a later call with the same key replaces the value).
     *
     * @throws IllegalArgumentException if key or value is null or holds a lone surrogate
     */
    public SafetensorsWriter metadata(String key, String value) {
        checkText("metadata key", key);
        checkText("metadata value for key '" + key + "'", value);
        metadata.put(key, value);
        return this;
    }

    /** Adds an F32 tensor. */
    public SafetensorsWriter add(String name, float[] data, int... shape) {
        long numel = checkAdd(name, data == null ? -1 : data.length, shape);
        return put(name, DType.F32, shape, numel, MemorySegment.ofArray(data.clone()),
                ValueLayout.JAVA_FLOAT_UNALIGNED, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** Adds an F16 tensor, rounding each value to half precision (round to nearest even). */
    public SafetensorsWriter addF16(String name, float[] data, int... shape) {
        long numel = checkAdd(name, data == null ? -1 : data.length, shape);
        short[] halves = new short[data.length];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = Float.floatToFloat16(data[i]);
        }
        return put(name, DType.F16, shape, numel, MemorySegment.ofArray(halves), ValueLayout.JAVA_SHORT_UNALIGNED,
                ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** Adds a BF16 tensor, rounding each value to bfloat16 (round to nearest even, as PyTorch). */
    public SafetensorsWriter addBF16(String name, float[] data, int... shape) {
        long numel = checkAdd(name, data == null ? -1 : data.length, shape);
        short[] halves = new short[data.length];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = floatToBf16(data[i]);
        }
        return put(name, DType.BF16, shape, numel, MemorySegment.ofArray(halves), ValueLayout.JAVA_SHORT_UNALIGNED,
                ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** Adds an F64 tensor. */
    public SafetensorsWriter add(String name, double[] data, int... shape) {
        long numel = checkAdd(name, data == null ? -1 : data.length, shape);
        return put(name, DType.F64, shape, numel, MemorySegment.ofArray(data.clone()),
                ValueLayout.JAVA_DOUBLE_UNALIGNED, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** Adds an I64 tensor. */
    public SafetensorsWriter addLongs(String name, long[] data, int... shape) {
        long numel = checkAdd(name, data == null ? -1 : data.length, shape);
        return put(name, DType.I64, shape, numel, MemorySegment.ofArray(data.clone()),
                ValueLayout.JAVA_LONG_UNALIGNED, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /** Adds an I32 tensor. */
    public SafetensorsWriter addInts(String name, int[] data, int... shape) {
        long numel = checkAdd(name, data == null ? -1 : data.length, shape);
        return put(name, DType.I32, shape, numel, MemorySegment.ofArray(data.clone()),
                ValueLayout.JAVA_INT_UNALIGNED, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * Adds a one-byte tensor: I8, U8 (bytes read as unsigned by readers) or BOOL (each byte must
     * be 0 or 1).
     *
     * @throws IllegalArgumentException for another dtype or a BOOL byte other than 0/1
     */
    public SafetensorsWriter addBytes(String name, DType dtype, byte[] data, int... shape) {
        if (dtype != DType.I8 && dtype != DType.U8 && dtype != DType.BOOL) {
            throw new IllegalArgumentException("tensor '" + name + "': addBytes takes I8, U8 or BOOL, not " + dtype);
        }
        long numel = checkAdd(name, data == null ? -1 : data.length, shape);
        if (dtype == DType.BOOL) {
            for (int i = 0; i < data.length; i++) {
                if (data[i] != 0 && data[i] != 1) {
                    throw new IllegalArgumentException("tensor '" + name + "': BOOL element " + i + " is " + data[i]
                            + ", expected 0 or 1");
                }
            }
        }
        return put(name, dtype, shape, numel, MemorySegment.ofArray(data.clone()),
                ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE);
    }

    /**
     * Adds a tensor read from another file under its own name, copying its bytes unchanged
     * (useful to rewrite a file with different metadata or a subset of tensors).
     */
    public SafetensorsWriter add(TensorEntry entry) {
        int[] shape = entry.shape();
        checkName(entry.name());
        // Entries are immutable views, so no copy is needed here.
        return put(entry.name(), entry.dtype(), shape, entry.numel(), entry.segment(),
                ValueLayout.JAVA_BYTE, ValueLayout.JAVA_BYTE);
    }

    /** Validates name and shape and returns the element count. */
    private long checkAdd(String name, int dataLength, int[] shape) {
        checkName(name);
        if (dataLength < 0) {
            throw new IllegalArgumentException("tensor '" + name + "': data is null");
        }
        if (shape == null) {
            throw new IllegalArgumentException("tensor '" + name + "': shape is null");
        }
        long numel = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                        + " has a negative dimension");
            }
            // Cannot overflow before exceeding dataLength, which is an int: stop early instead.
            numel *= d;
            if (numel > Integer.MAX_VALUE) {
                break;
            }
        }
        if (numel != dataLength) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dataLength + " values do not match shape "
                    + Arrays.toString(shape) + (numel > Integer.MAX_VALUE ? "" : " (" + numel + " elements)"));
        }
        return numel;
    }

    private void checkName(String name) {
        checkText("tensor name", name);
        if (name.equals(METADATA_KEY)) {
            throw new IllegalArgumentException("'" + METADATA_KEY + "' is reserved and cannot name a tensor");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' was already added; names must be unique");
        }
    }

    private static void checkText(String what, String s) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is null");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " has a lone surrogate at index " + i + " (not encodable as UTF-8)");
            }
        }
    }

    private SafetensorsWriter put(String name, DType dtype, int[] shape, long numel, MemorySegment payload,
                                  ValueLayout src, ValueLayout dst) {
        tensors.put(name, new Pending(name, dtype, shape.clone(), numel, payload, src, dst));
        return this;
    }

    /** float32 to bfloat16 with round-to-nearest-even; NaN stays a (quiet) NaN of the same sign. */
    static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** The padded header bytes (without the 8-byte length prefix). */
    private byte[] header() {
        Map<String, Object> root = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            // Sorted, so equal content gives byte-identical files whatever order entries were set in.
            root.put(METADATA_KEY, new java.util.TreeMap<>(metadata));
        }
        long offset = 0;
        for (Pending p : tensors.values()) {
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", p.dtype().safetensorsName());
            List<Object> shape = new ArrayList<>(p.shape().length);
            for (int d : p.shape()) {
                shape.add((long) d);
            }
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + p.byteSize()));
            offset += p.byteSize();
            root.put(p.name(), info);
        }
        byte[] json = Json.write(root).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        if (header.length > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new IllegalStateException("header would be " + header.length + " bytes, more than readers accept ("
                    + SafetensorsFile.MAX_HEADER_BYTES + ")");
        }
        return header;
    }

    private long dataBytes() {
        long total = 0;
        for (Pending p : tensors.values()) {
            total += p.byteSize();
        }
        return total;
    }

    /**
     * The complete file content in memory.
     *
     * @throws IllegalStateException if the content would exceed the maximum Java array size
     */
    public byte[] toBytes() {
        byte[] header = header();
        long total = 8 + header.length + dataBytes();
        if (total > MAX_ARRAY_LENGTH) {
            throw new IllegalStateException("safetensors content of " + total + " bytes does not fit in a byte array; use write(Path)");
        }
        byte[] out = new byte[(int) total];
        MemorySegment dst = MemorySegment.ofArray(out);
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, header.length);
        MemorySegment.copy(header, 0, dst, ValueLayout.JAVA_BYTE, 8, header.length);
        long pos = 8 + header.length;
        for (Pending p : tensors.values()) {
            MemorySegment.copy(p.payload(), p.srcLayout(), 0, dst, p.dstLayout(), pos, p.unitCount());
            pos += p.byteSize();
        }
        return out;
    }

    /**
     * Writes the file atomically: the content goes to a temporary file in the same directory,
     * is forced to disk, then renamed over {@code file} (replacing any existing file).
     *
     * @throws SafetensorsException naming the file if it cannot be written (the I/O error is the
     *                              cause); the temporary file is removed
     */
    public void write(Path file) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        byte[] header = header();
        Path tmp = null;
        try {
            FileChannel ch = null;
            for (int attempt = 0; ch == null; attempt++) {
                tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                try {
                    // CREATE_NEW (not createTempFile) so the file gets the usual permissions, not 0600.
                    ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException e) {
                    tmp = null;
                    if (attempt >= 100) {
                        throw e;
                    }
                }
            }
            try (FileChannel out = ch) {
                writeTo(out, header);
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            syncDirectory(dir);
        } catch (IOException e) {
            throw new SafetensorsException(file.toString(), null, "cannot write file: " + e, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // The original failure is what matters to the caller.
                }
            }
        }
    }

    /** Streams the content through a reusable chunk so large tensors need no second full copy. */
    private void writeTo(WritableByteChannel ch, byte[] header) throws IOException {
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
        writeAll(ch, prefix);
        writeAll(ch, ByteBuffer.wrap(header));
        byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, Math.max(8, dataBytes()))];
        MemorySegment chunkSegment = MemorySegment.ofArray(chunk);
        for (Pending p : tensors.values()) {
            int unitSize = (int) p.srcLayout().byteSize();
            long perChunk = chunk.length / unitSize;
            for (long done = 0; done < p.unitCount(); ) {
                long n = Math.min(perChunk, p.unitCount() - done);
                MemorySegment.copy(p.payload(), p.srcLayout(), done * unitSize, chunkSegment, p.dstLayout(), 0, n);
                writeAll(ch, ByteBuffer.wrap(chunk, 0, (int) (n * unitSize)));
                done += n;
            }
        }
    }

    private static void writeAll(WritableByteChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Makes the rename itself durable; not every platform can open a directory, so best effort. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // e.g. Windows cannot open directories; the data itself was already forced.
        }
    }
}
