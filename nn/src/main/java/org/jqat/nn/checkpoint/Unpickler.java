package org.jqat.nn.checkpoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A weights-only pickle reader, the Java twin of {@code torch.load(weights_only=True)}: it
 * builds dicts and OrderedDicts ({@link LinkedHashMap}), lists ({@link ArrayList}), tuples
 * ({@link Tuple}), sets, strings, bytes, ints ({@link Long}, or {@link BigInteger} when large),
 * floats ({@link Double}), booleans, {@code None} ({@code null}) and tensors
 * ({@link TorchTensor}), and refuses every other global by name. It never runs code from the
 * file: the few globals it accepts are interpreted here.
 *
 * <p>Protocols 0 to 5 are decoded, except the opcodes that only serve arbitrary objects
 * ({@code INST}, {@code OBJ}, {@code NEWOBJ}, extension codes, out-of-band buffers), which are
 * refused. Every length is checked against the bytes left, so a corrupt pickle fails with a
 * {@link TorchFormatException} naming the byte offset.
 */
final class Unpickler {
    /** A Python tuple (value equality, so tuples of ints and strings can key a dict). */
    record Tuple(List<Object> items) {
        Tuple {
            items = java.util.Collections.unmodifiableList(items);
        }
    }

    /** A global the file names ({@code module.name}) that weights-only loading allows. */
    record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** Storage classes and dtypes, by the name of their global in the {@code torch} module. */
    static final Map<String, org.jqat.core.io.DType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("FloatStorage", org.jqat.core.io.DType.F32), Map.entry("DoubleStorage", org.jqat.core.io.DType.F64),
            Map.entry("HalfStorage", org.jqat.core.io.DType.F16), Map.entry("BFloat16Storage", org.jqat.core.io.DType.BF16),
            Map.entry("LongStorage", org.jqat.core.io.DType.I64), Map.entry("IntStorage", org.jqat.core.io.DType.I32),
            Map.entry("CharStorage", org.jqat.core.io.DType.I8), Map.entry("ByteStorage", org.jqat.core.io.DType.U8),
            Map.entry("BoolStorage", org.jqat.core.io.DType.BOOL), Map.entry("UntypedStorage", org.jqat.core.io.DType.U8));
    static final Map<String, org.jqat.core.io.DType> DTYPES = Map.ofEntries(
            Map.entry("float32", org.jqat.core.io.DType.F32), Map.entry("float", org.jqat.core.io.DType.F32),
            Map.entry("float64", org.jqat.core.io.DType.F64), Map.entry("double", org.jqat.core.io.DType.F64),
            Map.entry("float16", org.jqat.core.io.DType.F16), Map.entry("half", org.jqat.core.io.DType.F16),
            Map.entry("bfloat16", org.jqat.core.io.DType.BF16), Map.entry("int64", org.jqat.core.io.DType.I64),
            Map.entry("long", org.jqat.core.io.DType.I64), Map.entry("int32", org.jqat.core.io.DType.I32),
            Map.entry("int", org.jqat.core.io.DType.I32), Map.entry("int8", org.jqat.core.io.DType.I8),
            Map.entry("uint8", org.jqat.core.io.DType.U8), Map.entry("bool", org.jqat.core.io.DType.BOOL));
    /** Callables this reader interprets itself, as {@code torch.load(weights_only=True)} allows them. */
    private static final Set<String> FUNCTIONS = Set.of("collections.OrderedDict", "torch._utils._rebuild_tensor",
            "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_parameter",
            "torch._utils._rebuild_parameter_with_state", "torch._tensor._rebuild_from_type_v2", "torch.Size", "torch.device", "_codecs.encode",
            "builtins.set", "builtins.frozenset", "builtins.bytearray", "__builtin__.set");
    /** Tensor classes {@code _rebuild_from_type_v2} may name; allowed as globals too. */
    private static final Set<String> TENSOR_TYPES = Set.of("torch.Tensor", "torch._tensor.Tensor", "torch.nn.parameter.Parameter");
    /** Big ints in checkpoints are hashes and ids, never kilobytes long; larger ones only cost time. */
    private static final int MAX_INT_BYTES = 1024;
    private static final int MAX_LINE = 4096;
    private static final Object MARK = new Object();

    private final String source;
    private final MemorySegment in;
    private final long end;
    private final Function<Object, Object> persistentLoad;
    private long pos;
    private long opcodeAt;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    /**
     * @param persistentLoad maps a persistent id (the storage reference tuple) to its storage
     */
    Unpickler(String source, MemorySegment in, long start, long end, Function<Object, Object> persistentLoad) {
        this.source = source;
        this.in = in;
        this.pos = start;
        this.end = end;
        this.persistentLoad = persistentLoad;
    }

    /** Where the next pickle starts after {@link #load} returned (legacy files hold several in a row). */
    long position() {
        return pos;
    }

    /** Reads one pickle up to its STOP opcode and returns the object it builds. */
    Object load() {
        stack.clear();
        marks.clear();
        memo.clear();
        while (true) {
            opcodeAt = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = u8();
                    if (proto > 5) {
                        throw fail("unsupported pickle protocol " + proto);
                    }
                }
                case 0x95 -> skip(i64()); // FRAME: a length prefix we do not need
                case '.' -> { // STOP
                    Object result = pop();
                    if (!stack.isEmpty() || !marks.isEmpty()) {
                        throw fail("STOP with " + stack.size() + " objects left on the stack");
                    }
                    return result;
                }
                case '(' -> { // MARK
                    marks.add(stack.size());
                    stack.add(MARK);
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) in.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), take(4)));
                case 'K' -> push((long) u8());
                case 'M' -> push((long) Short.toUnsignedInt(in.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), take(2))));
                case 0x8a -> push(littleEndianInt(u8())); // LONG1
                case 0x8b -> push(littleEndianInt(i32Length())); // LONG4
                case 'I' -> push(textInt(line(), true)); // INT
                case 'L' -> push(textInt(line(), false)); // LONG
                case 'G' -> push(in.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), take(8))); // BINFLOAT
                case 'F' -> push(textFloat(line())); // FLOAT
                case 'X' -> push(utf8(i32Length())); // BINUNICODE
                case 0x8c -> push(utf8(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(i64())); // BINUNICODE8
                case 'T' -> push(utf8(i32Length())); // BINSTRING (a Python 2 str, read as torch.load does: UTF-8)
                case 'U' -> push(utf8(u8())); // SHORT_BINSTRING
                case 'B' -> push(bytes(i32Length())); // BINBYTES
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 0x8e -> push(bytes(i64())); // BINBYTES8
                case 0x96 -> push(bytes(i64())); // BYTEARRAY8
                case ')' -> push(new Tuple(List.of()));
                case 't' -> push(new Tuple(popMark()));
                case 0x85 -> push(tuple(1));
                case 0x86 -> push(tuple(2));
                case 0x87 -> push(tuple(3));
                case ']' -> push(new ArrayList<>());
                case 'l' -> push(new ArrayList<>(popMark()));
                case '}' -> push(new LinkedHashMap<>());
                case 'd' -> {
                    List<Object> items = popMark();
                    push(setItems(new LinkedHashMap<>(), items));
                }
                case 0x8f -> push(new LinkedHashSet<>()); // EMPTY_SET
                case 0x91 -> { // FROZENSET
                    Set<Object> s = new LinkedHashSet<>();
                    for (Object o : popMark()) {
                        s.add(hashable(o));
                    }
                    push(java.util.Collections.unmodifiableSet(s));
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popMark();
                    list(peek()).addAll(items);
                }
                case 0x90 -> { // ADDITEMS
                    List<Object> items = popMark();
                    if (!(peek() instanceof Set<?> s) || s.getClass() != LinkedHashSet.class) {
                        throw fail("ADDITEMS on a " + typeName(peek()));
                    }
                    @SuppressWarnings("unchecked")
                    Set<Object> set = (Set<Object>) s;
                    for (Object o : items) {
                        set.add(hashable(o));
                    }
                }
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    setItems(dict(peek()), List.of(k, v));
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popMark();
                    setItems(dict(peek()), items);
                }
                case 'p' -> memo.put(textIndex(line()), peek()); // PUT
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(Integer.toUnsignedLong(in.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), take(4))), peek());
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'g' -> push(memoGet(textIndex(line()))); // GET
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(Integer.toUnsignedLong(in.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), take(4)))));
                case 'c' -> { // GLOBAL
                    String module = line();
                    String name = line();
                    push(global(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail("STACK_GLOBAL needs two strings, got " + typeName(module) + " and " + typeName(name));
                    }
                    push(global(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    if (!(args instanceof Tuple t)) {
                        throw fail("REDUCE arguments must be a tuple, got " + typeName(args));
                    }
                    push(call(callable, t.items()));
                }
                case 'b' -> build(pop(), peek()); // BUILD
                case 'P' -> push(persistent(line())); // PERSID
                case 'Q' -> push(persistent(pop())); // BINPERSID
                case 'i', 'o' -> throw fail("refusing to instantiate an arbitrary class (opcode " + (char) op
                        + "): weights-only loading allows tensors, storages and plain containers only");
                case 0x81, 0x92 -> {
                    int at = stack.size() - (op == 0x81 ? 2 : 3);
                    Object cls = at >= 0 ? stack.get(at) : null;
                    throw fail("refusing to instantiate " + (cls instanceof Global g ? "'" + g + "'" : "an object")
                            + " (NEWOBJ): weights-only loading allows tensors, storages and plain containers only");
                }
                case 0x82, 0x83, 0x84 -> throw fail("refusing a pickle extension code (EXT): not allowed in weights-only loading");
                case 0x97, 0x98 -> throw fail("out-of-band buffers (pickle protocol 5) are not supported");
                case 'S', 'V' -> throw fail("protocol-0 quoted string opcode '" + (char) op + "' is not supported (torch.save writes protocol 2)");
                default -> throw fail(String.format("unknown pickle opcode 0x%02x", op));
            }
        }
    }

    // ---- globals and the calls weights-only loading allows ----

    private Global global(String module, String name) {
        String full = module + "." + name;
        boolean allowed = FUNCTIONS.contains(full) || TENSOR_TYPES.contains(full)
                || (module.equals("torch") && (STORAGE_TYPES.containsKey(name) || DTYPES.containsKey(name)));
        if (!allowed) {
            throw fail("refusing global " + TorchFormatException.quote(full)
                    + " (weights-only loading allows tensors, storages and plain containers only)");
        }
        return new Global(module, name);
    }

    private Object call(Object callable, List<Object> args) {
        if (!(callable instanceof Global g) || !FUNCTIONS.contains(g.toString())) {
            throw fail("cannot call " + (callable instanceof Global g ? "'" + g + "'" : "a " + typeName(callable)));
        }
        switch (g.toString()) {
            case "collections.OrderedDict" -> {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (args.size() == 1 && args.get(0) != null) {
                    for (Object pair : list(args.get(0))) {
                        if (!(pair instanceof Tuple t) || t.items().size() != 2) {
                            throw fail("OrderedDict items must be (key, value) pairs");
                        }
                        setItems(d, t.items());
                    }
                } else if (!args.isEmpty()) {
                    throw fail("OrderedDict takes at most one argument, got " + args.size());
                }
                return d;
            }
            case "torch._utils._rebuild_tensor" -> {
                arity(g, args, 4, 4);
                return tensor(args.get(0), args.get(1), args.get(2), args.get(3), false, null);
            }
            case "torch._utils._rebuild_tensor_v2" -> {
                arity(g, args, 6, 7);
                return tensor(args.get(0), args.get(1), args.get(2), args.get(3), bool(args.get(4), "requires_grad"), null);
            }
            case "torch._utils._rebuild_tensor_v3" -> {
                arity(g, args, 7, 8);
                if (!(args.get(6) instanceof Global d) || !d.module().equals("torch") || !DTYPES.containsKey(d.name())) {
                    throw fail("_rebuild_tensor_v3 needs a torch dtype, got " + typeName(args.get(6)));
                }
                return tensor(args.get(0), args.get(1), args.get(2), args.get(3), bool(args.get(4), "requires_grad"), DTYPES.get(d.name()));
            }
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                arity(g, args, 3, 4);
                if (!(args.get(0) instanceof TorchTensor t)) {
                    throw fail("a parameter must wrap a tensor, got " + typeName(args.get(0)));
                }
                return new TorchTensor(source, t.storage(), t.storageOffset(), toLongs(t.shape()), t.stride(), bool(args.get(1), "requires_grad"));
            }
            case "torch._tensor._rebuild_from_type_v2" -> {
                // A tensor with Python attributes: (rebuild function, tensor type, its arguments, attribute dict).
                arity(g, args, 4, 4);
                if (!(args.get(1) instanceof Global type) || !TENSOR_TYPES.contains(type.toString())) {
                    throw fail("_rebuild_from_type_v2 of " + typeName(args.get(1)) + ": only torch.Tensor and Parameter are allowed");
                }
                if (!(args.get(2) instanceof Tuple inner)) {
                    throw fail("_rebuild_from_type_v2 arguments must be a tuple, got " + typeName(args.get(2)));
                }
                Object t = call(args.get(0), inner.items());
                if (!(t instanceof TorchTensor)) {
                    throw fail("_rebuild_from_type_v2 must rebuild a tensor, got " + typeName(t));
                }
                return t; // the attributes (args[3]) do not change the values
            }
            case "torch.Size" -> {
                arity(g, args, 0, 1);
                return args.isEmpty() ? new Tuple(List.of()) : new Tuple(list(args.get(0) instanceof Tuple t ? new ArrayList<>(t.items()) : args.get(0)));
            }
            case "torch.device" -> {
                arity(g, args, 1, 2);
                return args.size() == 2 && args.get(1) != null ? args.get(0) + ":" + args.get(1) : String.valueOf(args.get(0));
            }
            case "_codecs.encode" -> {
                arity(g, args, 1, 2);
                if (!(args.get(0) instanceof String s)) {
                    throw fail("_codecs.encode needs a string, got " + typeName(args.get(0)));
                }
                return s.getBytes(StandardCharsets.ISO_8859_1);
            }
            case "builtins.bytearray" -> {
                arity(g, args, 0, 1);
                if (args.isEmpty()) {
                    return new byte[0];
                }
                if (args.get(0) instanceof byte[] b) {
                    return b;
                }
                throw fail("bytearray of a " + typeName(args.get(0)));
            }
            default -> { // set, frozenset
                arity(g, args, 0, 1);
                Set<Object> s = new LinkedHashSet<>();
                if (!args.isEmpty()) {
                    for (Object o : iterable(args.get(0))) {
                        s.add(hashable(o));
                    }
                }
                return s;
            }
        }
    }

    private TorchTensor tensor(Object storage, Object offset, Object size, Object stride, boolean requiresGrad,
                               org.jqat.core.io.DType reinterpret) {
        if (!(storage instanceof TorchStorage st)) {
            throw fail("a tensor's storage must come from a storage reference, got " + typeName(storage));
        }
        if (reinterpret != null && reinterpret != st.dtype()) {
            long bytes = st.numel() * st.dtype().byteSize();
            if (bytes % reinterpret.byteSize() != 0) {
                throw fail("storage " + TorchFormatException.quote(st.key()) + " of " + bytes + " bytes is not a whole number of "
                        + reinterpret + " elements");
            }
            st = new TorchStorage(st.key(), reinterpret, bytes / reinterpret.byteSize(), st.data());
        }
        return new TorchTensor(source, st, integer(offset, "storage offset"), ints(size, "size"), ints(stride, "stride"), requiresGrad);
    }

    private void build(Object state, Object target) {
        // OrderedDict state dicts carry their _metadata (per-module versions) as instance
        // attributes; the weights do not depend on it, so it is accepted and dropped.
        if (target instanceof Map<?, ?> && (state == null || state instanceof Map<?, ?> || state instanceof Tuple)) {
            return;
        }
        throw fail("BUILD (setting object state) on a " + typeName(target) + " is not allowed in weights-only loading");
    }

    private Object persistent(Object pid) {
        Object storage = persistentLoad.apply(pid);
        if (storage == null) {
            throw fail("persistent id of type " + typeName(pid) + " does not name a storage");
        }
        return storage;
    }

    // ---- containers ----

    private Map<Object, Object> setItems(Map<Object, Object> d, List<Object> items) {
        if (items.size() % 2 != 0) {
            throw fail("odd number of items (" + items.size() + ") for a dict");
        }
        for (int i = 0; i < items.size(); i += 2) {
            d.put(hashable(items.get(i)), items.get(i + 1));
        }
        return d;
    }

    /** Dict keys and set members: immutable values only, as Python requires (and bounded in depth, so hashing terminates). */
    private Object hashable(Object key) {
        if (key == null || key instanceof String || key instanceof Long || key instanceof BigInteger || key instanceof Double
                || key instanceof Boolean || key instanceof Global) {
            return key;
        }
        if (key instanceof Tuple t && depth(t, 0) <= 32) {
            return key;
        }
        throw fail("unhashable dict key or set member: " + typeName(key));
    }

    private int depth(Tuple t, int d) {
        if (d > 32) {
            return d;
        }
        int max = d + 1;
        for (Object o : t.items()) {
            if (o instanceof Tuple inner) {
                max = Math.max(max, depth(inner, d + 1));
            } else if (!(o == null || o instanceof String || o instanceof Long || o instanceof BigInteger
                    || o instanceof Double || o instanceof Boolean || o instanceof Global)) {
                return 33;
            }
        }
        return max;
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw fail("expected a list, got " + typeName(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o) {
        if (o instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw fail("expected a dict, got " + typeName(o));
    }

    private List<Object> iterable(Object o) {
        if (o instanceof Tuple t) {
            return t.items();
        }
        if (o instanceof Set<?> s) {
            return new ArrayList<>(s);
        }
        return list(o);
    }

    private Tuple tuple(int n) {
        if (stack.size() - (marks.isEmpty() ? 0 : marks.get(marks.size() - 1) + 1) < n) {
            throw fail("stack underflow building a " + n + "-tuple");
        }
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop();
        }
        return new Tuple(java.util.Arrays.asList(items));
    }

    // ---- argument conversion ----

    private void arity(Global g, List<Object> args, int min, int max) {
        if (args.size() < min || args.size() > max) {
            throw fail("'" + g + "' called with " + args.size() + " arguments");
        }
    }

    private boolean bool(Object o, String what) {
        if (o instanceof Boolean b) {
            return b;
        }
        throw fail(what + " must be a bool, got " + typeName(o));
    }

    private long integer(Object o, String what) {
        if (o instanceof Long l) {
            return l;
        }
        throw fail(what + " must be an int, got " + typeName(o));
    }

    private long[] ints(Object o, String what) {
        List<Object> items = o instanceof Tuple t ? t.items() : list(o);
        if (items.size() > 64) {
            throw fail(what + " has " + items.size() + " dimensions");
        }
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = integer(items.get(i), what);
        }
        return out;
    }

    private static long[] toLongs(int[] a) {
        long[] out = new long[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i];
        }
        return out;
    }

    /** A short Python-like type name for messages (never the value: it may be huge or cyclic). */
    static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o == MARK) {
            return "MARK";
        }
        if (o instanceof Global g) {
            return "global '" + g + "'";
        }
        return switch (o) {
            case String s -> "str";
            case Long l -> "int";
            case BigInteger b -> "int";
            case Double d -> "float";
            case Boolean b -> "bool";
            case byte[] b -> "bytes";
            case Tuple t -> "tuple";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Set<?> s -> "set";
            case TorchTensor t -> "tensor";
            case TorchStorage s -> "storage";
            default -> o.getClass().getSimpleName();
        };
    }

    // ---- stack and memo ----

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.get(marks.size() - 1) == stack.size() - 1)) {
            throw fail("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw fail("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) {
            throw fail("no MARK on the stack");
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object memoGet(long index) {
        if (!memo.containsKey(index)) {
            throw fail("memo entry " + index + " is not defined");
        }
        return memo.get(index);
    }

    // ---- raw input ----

    private int u8() {
        return Byte.toUnsignedInt(in.get(ValueLayout.JAVA_BYTE, take(1)));
    }

    /** Reserves n bytes and returns where they start. */
    private long take(long n) {
        if (n < 0 || n > end - pos) {
            throw fail("truncated: needs " + n + " bytes, " + (end - pos) + " left");
        }
        long at = pos;
        pos += n;
        return at;
    }

    private void skip(long n) {
        if (n < 0 || n > end - pos) {
            throw fail("frame of " + n + " bytes runs past the end");
        }
    }

    private long i64() {
        return in.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), take(8));
    }

    private long i32Length() {
        return in.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), take(4));
    }

    private byte[] bytes(long n) {
        long at = take(n);
        if (n > Integer.MAX_VALUE - 8) {
            throw fail("byte string of " + n + " bytes");
        }
        return in.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE);
    }

    private String utf8(long n) {
        byte[] b = bytes(n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw fail("string is not valid UTF-8");
        }
    }

    /** A text line (protocol-0 arguments and GLOBAL names), without its newline. */
    private String line() {
        long start = pos;
        long limit = Math.min(end, pos + MAX_LINE);
        for (long p = pos; p < limit; p++) {
            if (in.get(ValueLayout.JAVA_BYTE, p) == '\n') {
                pos = p + 1;
                byte[] b = in.asSlice(start, p - start).toArray(ValueLayout.JAVA_BYTE);
                return new String(b, StandardCharsets.UTF_8);
            }
        }
        throw fail("unterminated text argument");
    }

    private Object littleEndianInt(long n) {
        if (n < 0 || n > MAX_INT_BYTES) {
            throw fail("integer of " + n + " bytes");
        }
        long at = take(n);
        if (n == 0) {
            return 0L;
        }
        byte[] le = in.asSlice(at, n).toArray(ValueLayout.JAVA_BYTE);
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return normalize(new BigInteger(be));
    }

    private Object textInt(String s, boolean intOpcode) {
        String t = s.strip();
        if (intOpcode && t.equals("00")) {
            return Boolean.FALSE;
        }
        if (intOpcode && t.equals("01")) {
            return Boolean.TRUE;
        }
        if (t.endsWith("L")) {
            t = t.substring(0, t.length() - 1);
        }
        try {
            return normalize(new BigInteger(t));
        } catch (NumberFormatException e) {
            throw fail("bad integer " + TorchFormatException.quote(s));
        }
    }

    private long textIndex(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            throw fail("bad memo index " + TorchFormatException.quote(s));
        }
    }

    private Double textFloat(String s) {
        String t = s.strip();
        return switch (t) {
            case "inf" -> Double.POSITIVE_INFINITY;
            case "-inf" -> Double.NEGATIVE_INFINITY;
            case "nan" -> Double.NaN;
            default -> {
                try {
                    yield Double.parseDouble(t);
                } catch (NumberFormatException e) {
                    throw fail("bad float " + TorchFormatException.quote(s));
                }
            }
        };
    }

    private static Object normalize(BigInteger b) {
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    private TorchFormatException fail(String problem) {
        return new TorchFormatException(source, "pickle opcode at byte " + opcodeAt + ": " + problem);
    }
}
