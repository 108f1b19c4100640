package org.jqat.nn.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqat.core.io.DType;

/**
 * Reads PyTorch checkpoints ({@code .pt}, {@code .pth}, {@code .th}) in pure Java, with the
 * guarantees of {@code torch.load(weights_only=True)}: only tensors, storages and plain
 * containers are built, and any other global in the pickle is refused by name.
 *
 * <p>Both serializations of {@code torch.save} are read:
 * <ul>
 *   <li><b>zip</b> (PyTorch 1.6 and later): {@code <archive>/data.pkl} holds the pickled
 *       object and {@code <archive>/data/<key>} each storage's raw bytes;
 *       {@code <archive>/byteorder}, when present, must say {@code little}.</li>
 *   <li><b>legacy</b> (before 1.6): five pickles in a row (magic number, protocol version
 *       1001, system info with {@code little_endian}, the object, the list of storage keys),
 *       then each storage as an int64 element count and its raw bytes.</li>
 * </ul>
 * Files are memory-mapped and tensors are views of the mapping, so reading a checkpoint costs
 * little beyond the pickle. Storages are little-endian; big-endian files are refused. Any
 * malformed file raises a {@link TorchFormatException} naming the file and the problem.
 */
public final class TorchCheckpoint {
    /** The legacy format's first pickle: {@code 0x1950a86a20f9469cfc6c}. */
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);
    static final long LEGACY_PROTOCOL = 1001;

    private TorchCheckpoint() {
    }

    /**
     * Reads a checkpoint file: the object {@code torch.save} was given, as {@link Map}s,
     * {@link List}s, tuples, strings, numbers, booleans, nulls and {@link TorchTensor}s.
     *
     * @throws TorchFormatException if the file is not a readable PyTorch checkpoint
     * @throws UncheckedIOException if the file cannot be read
     */
    public static Object read(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // An automatic arena: the mapping lives as long as some tensor still views it.
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), Arena.ofAuto());
            return read(file.toString(), seg);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
    }

    /** Reads a checkpoint held in memory; {@code source} names it in messages. */
    public static Object read(String source, byte[] bytes) {
        return read(source, MemorySegment.ofArray(bytes));
    }

    static Object read(String source, MemorySegment seg) {
        if (seg.byteSize() >= 4 && seg.get(ValueLayout.JAVA_BYTE, 0) == 'P' && seg.get(ValueLayout.JAVA_BYTE, 1) == 'K') {
            return readZip(source, seg);
        }
        if (seg.byteSize() >= 2 && Byte.toUnsignedInt(seg.get(ValueLayout.JAVA_BYTE, 0)) == 0x80) {
            return readLegacy(source, seg);
        }
        if (seg.byteSize() > 262 && new String(seg.asSlice(257, 5).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).equals("ustar")) {
            throw new TorchFormatException(source, "tar-based checkpoint (torch.save before PyTorch 0.1.10) is not supported; "
                    + "re-save it with a recent PyTorch");
        }
        throw new TorchFormatException(source, "not a PyTorch checkpoint: neither a zip archive (torch.save since 1.6) "
                + "nor a legacy pickle (torch.save before 1.6)");
    }

    /**
     * The state dict inside a checkpoint object: the object itself when it maps names to
     * tensors, else its {@code state_dict} or {@code model} entry (training scripts' usual
     * wrappers, e.g. {@code {"epoch": 90, "state_dict": ...}}).
     *
     * @throws TorchFormatException if there is none, or an entry of it is not a tensor
     */
    public static Map<String, TorchTensor> stateDict(Object checkpoint, String source) {
        if (!(checkpoint instanceof Map<?, ?> top)) {
            throw new TorchFormatException(source, "the checkpoint holds a " + Unpickler.typeName(checkpoint)
                    + ", not a dict of tensors");
        }
        Map<?, ?> sd = top;
        String where = "top level";
        for (String key : List.of("state_dict", "model")) {
            if (top.get(key) instanceof Map<?, ?> inner) {
                sd = inner;
                where = "'" + key + "'";
                break;
            }
        }
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        for (var e : sd.entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                throw new TorchFormatException(source, "state dict (" + where + ") has a key of type " + Unpickler.typeName(e.getKey())
                        + "; expected parameter names");
            }
            if (!(e.getValue() instanceof TorchTensor t)) {
                throw new TorchFormatException(source, "state dict (" + where + ") entry " + TorchFormatException.quote(k) + " is a "
                        + Unpickler.typeName(e.getValue()) + ", not a tensor; top-level keys: " + keys(top));
            }
            out.put(k, t);
        }
        if (out.isEmpty()) {
            throw new TorchFormatException(source, "no tensors found (looked at the top level, 'state_dict' and 'model'); "
                    + "top-level keys: " + keys(top));
        }
        return out;
    }

    private static String keys(Map<?, ?> m) {
        StringBuilder sb = new StringBuilder("[");
        int n = 0;
        for (Object k : m.keySet()) {
            if (n++ == 10) {
                sb.append(", ...");
                break;
            }
            sb.append(n > 1 ? ", " : "").append(k instanceof String s ? TorchFormatException.quote(s) : Unpickler.typeName(k));
        }
        return sb.append(']').toString();
    }

    // ---- zip ----

    private static Object readZip(String source, MemorySegment seg) {
        TorchZip zip = new TorchZip(source, seg);
        String prefix = null;
        for (String name : zip.entries().keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                if (prefix != null) {
                    throw new TorchFormatException(source, "zip archive holds more than one data.pkl");
                }
                prefix = name.substring(0, slash + 1);
            }
        }
        if (prefix == null) {
            throw new TorchFormatException(source, "zip archive without <archive>/data.pkl: not written by torch.save");
        }
        TorchZip.Entry order = zip.entries().get(prefix + "byteorder");
        if (order != null) {
            String o = new String(zip.read(order).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.US_ASCII).strip();
            if (!o.equals("little")) {
                throw new TorchFormatException(source, "byte order " + TorchFormatException.quote(o)
                        + ": only little-endian checkpoints are supported (load and re-save it on a little-endian machine)");
            }
        }
        MemorySegment pkl = zip.read(zip.entries().get(prefix + "data.pkl"));
        String dataPrefix = prefix + "data/";
        Map<String, TorchStorage> loaded = new HashMap<>();
        Unpickler u = new Unpickler(source, pkl, 0, pkl.byteSize(), pid -> {
            List<Object> ref = storageRef(source, pid, 5, 5);
            DType dtype = storageType(source, ref.get(1));
            String key = string(source, ref.get(2), "storage key");
            long numel = count(source, ref.get(4), "storage size");
            TorchStorage st = loaded.get(key);
            if (st == null) {
                TorchZip.Entry e = zip.entries().get(dataPrefix + key);
                if (e == null) {
                    throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + " has no entry "
                            + TorchFormatException.quote(dataPrefix + key) + " in the archive");
                }
                MemorySegment data = zip.read(e);
                long bytes = Math.multiplyHigh(numel, dtype.byteSize()) != 0 ? -1 : numel * dtype.byteSize();
                if (bytes != data.byteSize()) {
                    throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + ": " + numel + " " + dtype
                            + " elements need " + numel + " x " + dtype.byteSize() + " bytes, the entry has " + data.byteSize());
                }
                st = new TorchStorage(key, dtype, numel, data);
                loaded.put(key, st);
            } else if (st.dtype() != dtype || st.numel() != numel) {
                throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + " is referenced with two different types or sizes");
            }
            return st;
        });
        return u.load();
    }

    // ---- legacy ----

    private static Object readLegacy(String source, MemorySegment seg) {
        long end = seg.byteSize();
        Unpickler header = new Unpickler(source, seg, 0, end, pid -> {
            throw new TorchFormatException(source, "storage reference before the checkpoint's object");
        });
        Object magic = header.load();
        if (!(magic instanceof BigInteger b) || !b.equals(LEGACY_MAGIC)) {
            throw new TorchFormatException(source, "a pickle, but not a PyTorch checkpoint (no torch.save magic number); "
                    + "plain pickles are not read");
        }
        Object protocol = header.load();
        if (!(protocol instanceof Long proto) || proto != LEGACY_PROTOCOL) {
            throw new TorchFormatException(source, "legacy checkpoint protocol " + protocol + " (expected " + LEGACY_PROTOCOL + ")");
        }
        Object sysInfo = header.load();
        if (!(sysInfo instanceof Map<?, ?> info)) {
            throw new TorchFormatException(source, "legacy checkpoint without its system-info dict");
        }
        if (Boolean.FALSE.equals(info.get("little_endian"))) {
            throw new TorchFormatException(source, "written on a big-endian machine (little_endian = False): only little-endian "
                    + "checkpoints are supported (load and re-save it on a little-endian machine)");
        }
        long objectStart = header.position();

        // First pass: learn each storage's type and size; the data lies after the pickles.
        Map<String, LegacyRef> refs = new LinkedHashMap<>();
        Unpickler scan = new Unpickler(source, seg, objectStart, end, pid -> {
            LegacyRef r = legacyRef(source, pid);
            LegacyRef known = refs.putIfAbsent(r.rootKey(), r);
            if (known != null && (known.dtype() != r.dtype() || known.rootNumel() != r.rootNumel())) {
                throw new TorchFormatException(source, "storage " + TorchFormatException.quote(r.rootKey())
                        + " is referenced with two different types or sizes");
            }
            return r.view(source, new TorchStorage(r.rootKey(), r.dtype(), r.rootNumel(), MemorySegment.NULL));
        });
        scan.load();
        Unpickler keyList = new Unpickler(source, seg, scan.position(), end, pid -> {
            throw new TorchFormatException(source, "storage reference in the storage key list");
        });
        Object keysObj = keyList.load();
        if (!(keysObj instanceof List<?> keys)) {
            throw new TorchFormatException(source, "legacy checkpoint: expected the list of storage keys, got "
                    + Unpickler.typeName(keysObj));
        }
        Map<String, TorchStorage> storages = new HashMap<>();
        long p = keyList.position();
        var i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (Object k : keys) {
            String key = string(source, k, "storage key");
            LegacyRef r = refs.get(key);
            if (r == null) {
                throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + " is listed but never used");
            }
            if (p > end - 8) {
                throw new TorchFormatException(source, "truncated: storage " + TorchFormatException.quote(key) + " is missing");
            }
            long numel = seg.get(i64, p);
            if (numel != r.rootNumel()) {
                throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + " holds " + numel
                        + " elements, the pickle says " + r.rootNumel());
            }
            p += 8;
            long bytes = numel * r.dtype().byteSize(); // numel >= 0 and checked against the file below
            if (numel < 0 || numel > (end - p) / r.dtype().byteSize()) {
                throw new TorchFormatException(source, "truncated: storage " + TorchFormatException.quote(key) + " needs "
                        + numel + " x " + r.dtype().byteSize() + " bytes, " + (end - p) + " left");
            }
            if (storages.put(key, new TorchStorage(key, r.dtype(), numel, seg.asSlice(p, bytes))) != null) {
                throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + " is listed twice");
            }
            p += bytes;
        }
        for (String key : refs.keySet()) {
            if (!storages.containsKey(key)) {
                throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + " is used but has no data");
            }
        }
        // Second pass: the same pickle, now over the real storages.
        Unpickler object = new Unpickler(source, seg, objectStart, end, pid -> {
            LegacyRef r = legacyRef(source, pid);
            return r.view(source, storages.get(r.rootKey()));
        });
        return object.load();
    }

    /** A legacy storage reference: root storage, and optionally a view (offset, size in elements) of it. */
    private record LegacyRef(String rootKey, DType dtype, long rootNumel, String viewKey, long viewOffset, long viewNumel) {
        TorchStorage view(String source, TorchStorage root) {
            if (viewKey == null) {
                return root;
            }
            if (viewOffset < 0 || viewNumel < 0 || viewOffset > root.numel() - viewNumel) {
                throw new TorchFormatException(source, "storage view " + TorchFormatException.quote(viewKey) + " [" + viewOffset
                        + ", +" + viewNumel + ") lies outside storage " + TorchFormatException.quote(rootKey) + " of " + root.numel() + " elements");
            }
            int es = dtype.byteSize();
            MemorySegment data = root.data() == MemorySegment.NULL ? MemorySegment.NULL
                    : root.data().asSlice(viewOffset * es, viewNumel * es);
            return new TorchStorage(viewKey, dtype, viewNumel, data);
        }
    }

    private static LegacyRef legacyRef(String source, Object pid) {
        List<Object> ref = storageRef(source, pid, 6, 6);
        DType dtype = storageType(source, ref.get(1));
        String key = string(source, ref.get(2), "storage key");
        long numel = count(source, ref.get(4), "storage size");
        Object view = ref.get(5);
        if (view == null) {
            return new LegacyRef(key, dtype, numel, null, 0, 0);
        }
        if (!(view instanceof Unpickler.Tuple t) || t.items().size() != 3) {
            throw new TorchFormatException(source, "storage " + TorchFormatException.quote(key) + ": malformed view metadata");
        }
        return new LegacyRef(key, dtype, numel, string(source, t.items().get(0), "view key"),
                count(source, t.items().get(1), "view offset"), count(source, t.items().get(2), "view size"));
    }

    // ---- storage references ----

    private static List<Object> storageRef(String source, Object pid, int min, int max) {
        if (!(pid instanceof Unpickler.Tuple t) || t.items().size() < min || t.items().size() > max
                || !"storage".equals(t.items().get(0))) {
            throw new TorchFormatException(source, "persistent id is not a storage reference ('storage', type, key, location, size)");
        }
        return t.items();
    }

    private static DType storageType(String source, Object type) {
        if (type instanceof Unpickler.Global g && g.module().equals("torch") && Unpickler.STORAGE_TYPES.containsKey(g.name())) {
            return Unpickler.STORAGE_TYPES.get(g.name());
        }
        throw new TorchFormatException(source, "storage of type " + Unpickler.typeName(type)
                + " is not supported (float32/16/64, bfloat16, int64/32/8, uint8 and bool are)");
    }

    private static String string(String source, Object o, String what) {
        if (o instanceof String s) {
            return s;
        }
        throw new TorchFormatException(source, what + " must be a string, got " + Unpickler.typeName(o));
    }

    private static long count(String source, Object o, String what) {
        if (o instanceof Long l && l >= 0) {
            return l;
        }
        throw new TorchFormatException(source, what + " must be a non-negative int, got " + Unpickler.typeName(o));
    }
}
