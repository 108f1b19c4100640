package org.jqat.core.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A parsed, fully validated safetensors file.
 *
 * <p>Everything is checked in {@link #open}: header length, UTF-8, JSON, each entry's dtype,
 * shape and data offsets against the data section, and that no two tensors overlap. After that
 * {@link #get} cannot fail for a listed name. Content problems surface only as
 * {@link SafetensorsException}, whose message names the file, the tensor and the problem.
 *
 * <p>Files of {@value #MMAP_THRESHOLD} bytes or more are memory-mapped read-only (data is paged
 * in on use and the mapping is released by the garbage collector once neither this object nor
 * any entry is reachable); smaller files are read into the heap. Gaps between tensors are
 * tolerated; unknown keys inside an entry are ignored, as the reference implementation does.
 *
 * <p>As with any memory map, truncating a mapped file while it is being read makes the JVM
 * raise an {@link InternalError} on access; replace files atomically (as
 * {@link SafetensorsWriter#write} does) instead of rewriting them in place.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Files at least this large are memory-mapped instead of read into the heap. */
    static final long MMAP_THRESHOLD = 64L << 20;

    /** Largest header accepted; the reference implementation uses the same bound. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";

    private final String source;
    private final Path path;
    private final Map<String, String> metadata;
    private final Map<String, TensorEntry> tensors;
    private final boolean memoryMapped;

    private SafetensorsFile(String source, Path path, Map<String, String> metadata,
                            Map<String, TensorEntry> tensors, boolean memoryMapped) {
        this.source = source;
        this.path = path;
        this.metadata = metadata;
        this.tensors = tensors;
        this.memoryMapped = memoryMapped;
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @throws SafetensorsException if the file is malformed or cannot be read (the I/O error is
     *                              the cause)
     */
    public static SafetensorsFile open(Path path) {
        String source = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < MMAP_THRESHOLD) {
                return parse(source, path, MemorySegment.ofArray(readFully(ch, 0, (int) size, source)), false);
            }
            long headerLength = ByteBuffer.wrap(readFully(ch, 0, 8, source)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            checkHeaderLength(source, headerLength, size);
            byte[] header = readFully(ch, 8, (int) headerLength, source);
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            // An automatic arena keeps the mapping alive exactly as long as some segment of it is
            // reachable, so entries stay valid after close() and nothing is unmapped under a reader.
            MemorySegment data = dataSize == 0 ? MemorySegment.ofArray(new byte[0])
                    : ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataSize, Arena.ofAuto());
            return build(source, path, header, data, true);
        } catch (IOException e) {
            throw new SafetensorsException(source, null, "cannot read file: " + e, e);
        } catch (OutOfMemoryError e) {
            // Only reachable for a header near the 100 MB bound on a tiny heap; report, don't crash.
            throw new SafetensorsException(source, null, "not enough memory to read the file", e);
        }
    }

    /**
     * Parses and validates safetensors content held in memory (e.g. a class-path resource).
     * The array is used directly, not copied: do not modify it afterwards.
     *
     * @param source name used in error messages, e.g. the resource name
     * @throws SafetensorsException if the content is malformed
     */
    public static SafetensorsFile fromBytes(String source, byte[] content) {
        try {
            return parse(source, null, MemorySegment.ofArray(content), false);
        } catch (OutOfMemoryError e) {
            throw new SafetensorsException(source, null, "not enough memory to parse the header", e);
        }
    }

    private static SafetensorsFile parse(String source, Path path, MemorySegment all, boolean mapped) {
        long size = all.byteSize();
        if (size < 8) {
            throw new SafetensorsException(source, null, "file is " + size + " bytes, shorter than the 8-byte header length");
        }
        long headerLength = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        checkHeaderLength(source, headerLength, size);
        byte[] header = all.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE);
        return build(source, path, header, all.asSlice(8 + headerLength), mapped);
    }

    private static void checkHeaderLength(String source, long headerLength, long fileSize) {
        // The field is unsigned; a negative long means > 2^63, which is absurd as well.
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new SafetensorsException(source, null, "header length " + Long.toUnsignedString(headerLength)
                    + " is absurd (limit " + MAX_HEADER_BYTES + " bytes)");
        }
        if (headerLength > fileSize - 8) {
            throw new SafetensorsException(source, null, "header length " + headerLength
                    + " goes beyond the end of the file (" + fileSize + " bytes)");
        }
    }

    private static byte[] readFully(FileChannel ch, long position, int length, String source) throws IOException {
        byte[] bytes = new byte[length];
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            if (ch.read(buf, position + buf.position()) < 0) {
                throw new SafetensorsException(source, null, "file ended after " + (position + buf.position())
                        + " bytes while reading (was it truncated concurrently?)");
            }
        }
        return bytes;
    }

    private static SafetensorsFile build(String source, Path path, byte[] header, MemorySegment data, boolean mapped) {
        Map<String, Object> root = parseHeader(source, header);
        Map<String, String> metadata = Map.of();
        Map<String, TensorEntry> tensors = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();      // {begin, end, index} of non-empty tensors
        List<String> names = new ArrayList<>();
        for (Map.Entry<String, Object> e : root.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA_KEY)) {
                metadata = metadata(source, e.getValue());
                continue;
            }
            TensorEntry entry = entry(source, name, e.getValue(), data, ranges, names.size());
            names.add(name);
            tensors.put(name, entry);
        }
        checkOverlaps(source, ranges, names);
        return new SafetensorsFile(source, path, metadata, Collections.unmodifiableMap(tensors), mapped);
    }

    private static Map<String, Object> parseHeader(String source, byte[] header) {
        String text = decodeUtf8(source, header);
        Object root;
        try {
            root = Json.parse(text);
        } catch (Json.ParseException e) {
            throw new SafetensorsException(source, null, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new SafetensorsException(source, null, "header is not a JSON object but " + jsonType(root));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) map;
        return typed;
    }

    /** Strict UTF-8 decoding that reports the byte offset of the first bad sequence. */
    private static String decodeUtf8(String source, byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);   // UTF-8 never yields more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw new SafetensorsException(source, null, "header is not valid UTF-8 (bad byte sequence at header byte "
                    + in.position() + ")");
        }
        return out.flip().toString();
    }

    private static Map<String, String> metadata(String source, Object value) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new SafetensorsException(source, null, METADATA_KEY + " is not a JSON object but " + jsonType(value));
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new SafetensorsException(source, null, METADATA_KEY + " value for key "
                        + SafetensorsException.quote((String) e.getKey()) + " is " + jsonType(e.getValue())
                        + ", but the format allows only strings");
            }
            result.put((String) e.getKey(), s);
        }
        return Collections.unmodifiableMap(result);
    }

    private static TensorEntry entry(String source, String name, Object value, MemorySegment data,
                                     List<long[]> ranges, int index) {
        if (!(value instanceof Map<?, ?> info)) {
            throw new SafetensorsException(source, name, "header entry is not a JSON object but " + jsonType(value));
        }
        DType dtype = dtype(source, name, info.get("dtype"));
        int[] shape = shape(source, name, info.get("shape"));
        long[] offsets = offsets(source, name, info.get("data_offsets"));
        long begin = offsets[0];
        long end = offsets[1];

        long numel = 1;
        long expectedBytes;
        try {
            for (int d : shape) {
                numel = Math.multiplyExact(numel, d);
            }
            expectedBytes = Math.multiplyExact(numel, dtype.byteSize());
        } catch (ArithmeticException overflow) {
            throw new SafetensorsException(source, name, "shape " + Arrays.toString(shape) + " of " + dtype
                    + " is too large: its element or byte count overflows 64 bits");
        }
        if (end > data.byteSize()) {
            throw new SafetensorsException(source, name, "data offsets [" + begin + ", " + end
                    + ") go beyond the data section (" + data.byteSize() + " bytes)");
        }
        if (end - begin != expectedBytes) {
            throw new SafetensorsException(source, name, "data offsets [" + begin + ", " + end + ") do not match shape "
                    + Arrays.toString(shape) + " of " + dtype + " (" + expectedBytes + " bytes)");
        }
        if (begin < end) {
            ranges.add(new long[] {begin, end, index});
        }
        return new TensorEntry(source, name, dtype, shape, numel, data.asSlice(begin, end - begin));
    }

    private static DType dtype(String source, String name, Object value) {
        if (value == null) {
            throw new SafetensorsException(source, name, "header entry lacks \"dtype\"");
        }
        if (!(value instanceof String s)) {
            throw new SafetensorsException(source, name, "\"dtype\" is " + jsonType(value) + ", expected a string");
        }
        DType dtype = DType.fromSafetensorsName(s);
        if (dtype == null) {
            throw new SafetensorsException(source, name, "unknown or unsupported dtype " + SafetensorsException.quote(s)
                    + " (supported: " + Arrays.stream(DType.values()).map(DType::safetensorsName)
                    .collect(Collectors.joining(", ")) + ")");
        }
        return dtype;
    }

    private static int[] shape(String source, String name, Object value) {
        if (value == null) {
            throw new SafetensorsException(source, name, "header entry lacks \"shape\"");
        }
        if (!(value instanceof List<?> list)) {
            throw new SafetensorsException(source, name, "\"shape\" is " + jsonType(value) + ", expected an array");
        }
        int[] shape = new int[list.size()];
        for (int i = 0; i < shape.length; i++) {
            Object d = list.get(i);
            if (!(d instanceof Long dim)) {
                throw new SafetensorsException(source, name, "shape dimension " + i + " is " + jsonType(d)
                        + ", expected a non-negative integer");
            }
            if (dim < 0) {
                throw new SafetensorsException(source, name, "shape dimension " + i + " is negative (" + dim + ")");
            }
            if (dim > Integer.MAX_VALUE) {
                throw new SafetensorsException(source, name, "shape dimension " + i + " = " + dim
                        + " is larger than " + Integer.MAX_VALUE);
            }
            shape[i] = (int) (long) dim;
        }
        return shape;
    }

    private static long[] offsets(String source, String name, Object value) {
        if (value == null) {
            throw new SafetensorsException(source, name, "header entry lacks \"data_offsets\"");
        }
        if (!(value instanceof List<?> list) || list.size() != 2
                || !(list.get(0) instanceof Long begin) || !(list.get(1) instanceof Long end)) {
            throw new SafetensorsException(source, name, "\"data_offsets\" must be two non-negative integers [begin, end], got "
                    + abbreviatedJson(value));
        }
        if (begin < 0 || end < 0) {
            throw new SafetensorsException(source, name, "data offsets [" + begin + ", " + end + ") are negative");
        }
        if (begin > end) {
            throw new SafetensorsException(source, name, "data offsets [" + begin + ", " + end + ") end before they begin");
        }
        return new long[] {begin, end};
    }

    private static void checkOverlaps(String source, List<long[]> ranges, List<String> names) {
        ranges.sort(Comparator.comparingLong((long[] r) -> r[0]).thenComparingLong(r -> r[1]));
        for (int i = 1; i < ranges.size(); i++) {
            long[] prev = ranges.get(i - 1);
            long[] cur = ranges.get(i);
            if (cur[0] < prev[1]) {
                String other = names.get((int) prev[2]);
                throw new SafetensorsException(source, names.get((int) cur[2]), "data offsets [" + cur[0] + ", " + cur[1]
                        + ") overlap those of tensor " + SafetensorsException.quote(other)
                        + " [" + prev[0] + ", " + prev[1] + ")");
            }
        }
    }

    private static String jsonType(Object v) {
        return switch (v) {
            case null -> "null";
            case Map<?, ?> m -> "an object";
            case List<?> l -> "an array";
            case String s -> "a string";
            case Long l -> "the integer " + l;
            case Double d -> "the number " + d;
            case Boolean b -> "the boolean " + b;
            default -> v.getClass().getSimpleName();
        };
    }

    private static String abbreviatedJson(Object v) {
        String s;
        try {
            s = Json.write(v);
        } catch (IllegalArgumentException e) {
            s = jsonType(v);
        }
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** The file as given to {@link #open}, or {@code null} for {@link #fromBytes} content. */
    public Path path() {
        return path;
    }

    /** The {@code __metadata__} string map in header order; empty if the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensor names in header order (unmodifiable). */
    public Set<String> names() {
        return tensors.keySet();
    }

    /** Number of tensors. */
    public int size() {
        return tensors.size();
    }

    /** Whether a tensor of this name exists. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The tensor of this name.
     *
     * @throws SafetensorsException naming the file and the tensor if there is no such tensor
     */
    public TensorEntry get(String name) {
        TensorEntry entry = tensors.get(name);
        if (entry == null) {
            throw new SafetensorsException(source, name, "no such tensor in this file (" + tensors.size()
                    + " tensors" + sampleNames() + ")");
        }
        return entry;
    }

    /** Up to five names, so a miss is easy to diagnose without dumping a whole model. */
    private String sampleNames() {
        if (tensors.isEmpty()) {
            return "";
        }
        String shown = tensors.keySet().stream().limit(5).map(SafetensorsException::quote).collect(Collectors.joining(", "));
        return ": " + shown + (tensors.size() > 5 ? ", ..." : "");
    }

    /** Whether the data is memory-mapped rather than on the heap (for tests and diagnostics). */
    boolean memoryMapped() {
        return memoryMapped;
    }

    /**
     * Does nothing that could break readers: entries remain valid and a mapping is released by
     * the garbage collector when unreachable. Provided so files can be used in try-with-resources
     * and a future version may release resources eagerly.
     */
    @Override
    public void close() {
        // Intentionally empty; see Javadoc.
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + source + ", " + tensors.size() + " tensors]";
    }
}
