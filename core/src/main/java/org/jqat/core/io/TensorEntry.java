package org.jqat.core.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.IntFunction;

/**
 * One tensor of a safetensors file: its name, dtype, shape and raw little-endian bytes, with
 * conversions to Java arrays.
 *
 * <p>The bytes are a read-only view into the file's contents (heap or memory-mapped), so
 * creating an entry copies nothing; the {@code to...Array} methods copy and convert.
 * Entries are immutable and may be shared between threads.
 */
public final class TensorEntry {

    /** Largest Java array we attempt to allocate (a few VMs reserve header words). */
    private static final long MAX_ARRAY_LENGTH = Integer.MAX_VALUE - 8;

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64_LE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final String name;
    private final DType dtype;
    private final int[] shape;
    private final long numel;
    private final MemorySegment data;

    /** Called by the reader after validating that {@code data} holds exactly numel elements. */
    TensorEntry(String source, String name, DType dtype, int[] shape, long numel, MemorySegment data) {
        this.source = source;
        this.name = name;
        this.dtype = dtype;
        this.shape = shape;
        this.numel = numel;
        this.data = data.asReadOnly();
    }

    /** The tensor's name in the file. */
    public String name() {
        return name;
    }

    /** The element type. */
    public DType dtype() {
        return dtype;
    }

    /** The shape (a copy); {@code []} for a scalar. */
    public int[] shape() {
        return shape.clone();
    }

    /** Number of dimensions; 0 for a scalar. */
    public int rank() {
        return shape.length;
    }

    /** Number of elements: the product of the shape (1 for a scalar, 0 if any dim is 0). */
    public long numel() {
        return numel;
    }

    /** Size of the data in bytes: {@code numel() * dtype().byteSize()}. */
    public long byteSize() {
        return data.byteSize();
    }

    /** The raw little-endian bytes as a read-only segment (no copy). */
    public MemorySegment segment() {
        return data;
    }

    /**
     * The raw bytes as a read-only little-endian buffer (no copy).
     *
     * @throws SafetensorsException if the tensor is 2 GiB or larger, which a ByteBuffer cannot span
     */
    public ByteBuffer byteBuffer() {
        if (data.byteSize() > Integer.MAX_VALUE) {
            throw error("is " + data.byteSize() + " bytes, too large for a ByteBuffer; use segment()");
        }
        return data.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A copy of the raw little-endian bytes. */
    public byte[] toByteArray() {
        byte[] out = allocate(checkArrayLength(data.byteSize(), "bytes"), byte[]::new);
        MemorySegment.copy(data, ValueLayout.JAVA_BYTE, 0, out, 0, out.length);
        return out;
    }

    /**
     * The values as float32, converting from any dtype: F16 and BF16 exactly, F64 and large
     * integers with float rounding, BOOL as 0/1.
     *
     * @throws SafetensorsException if there are too many elements for a Java array, or a BOOL
     *                              byte is neither 0 nor 1
     */
    public float[] toFloatArray() {
        int n = checkArrayLength(numel, "elements");
        float[] out = allocate(n, float[]::new);
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32_LE, 0, out, 0, n);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(data.getAtIndex(I16_LE, i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = bf16ToFloat(data.getAtIndex(I16_LE, i));
                }
            }
            case F64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) data.getAtIndex(F64_LE, i);
                }
            }
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getAtIndex(I64_LE, i);
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getAtIndex(I32_LE, i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = boolAt(i);
                }
            }
        }
        return out;
    }

    /**
     * The values as float64, converting exactly from every dtype except I64 values beyond 2^53
     * (rounded); BOOL as 0/1.
     *
     * @throws SafetensorsException if there are too many elements for a Java array, or a BOOL
     *                              byte is neither 0 nor 1
     */
    public double[] toDoubleArray() {
        int n = checkArrayLength(numel, "elements");
        double[] out = allocate(n, double[]::new);
        switch (dtype) {
            case F64 -> MemorySegment.copy(data, F64_LE, 0, out, 0, n);
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getAtIndex(F32_LE, i);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(data.getAtIndex(I16_LE, i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = bf16ToFloat(data.getAtIndex(I16_LE, i));
                }
            }
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getAtIndex(I64_LE, i);
                }
            }
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getAtIndex(I32_LE, i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = boolAt(i);
                }
            }
        }
        return out;
    }

    /**
     * The values as longs, for integer dtypes and BOOL (0/1); U8 is read unsigned.
     *
     * @throws SafetensorsException for floating-point dtypes (whose conversion would silently
     *                              truncate), too many elements, or a BOOL byte other than 0/1
     */
    public long[] toLongArray() {
        requireIntegral("long");
        int n = checkArrayLength(numel, "elements");
        long[] out = allocate(n, long[]::new);
        switch (dtype) {
            case I64 -> MemorySegment.copy(data, I64_LE, 0, out, 0, n);
            case I32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.getAtIndex(I32_LE, i);
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = boolAt(i);
                }
            }
            default -> throw new AssertionError(dtype);
        }
        return out;
    }

    /**
     * The values as ints, for integer dtypes and BOOL (0/1); U8 is read unsigned.
     *
     * @throws SafetensorsException for floating-point dtypes, an I64 value outside the int range
     *                              (naming its index), too many elements, or a BOOL byte other
     *                              than 0/1
     */
    public int[] toIntArray() {
        requireIntegral("int");
        int n = checkArrayLength(numel, "elements");
        int[] out = allocate(n, int[]::new);
        switch (dtype) {
            case I32 -> MemorySegment.copy(data, I32_LE, 0, out, 0, n);
            case I64 -> {
                for (int i = 0; i < n; i++) {
                    long v = data.getAtIndex(I64_LE, i);
                    if (v != (int) v) {
                        throw error("element " + i + " = " + v + " does not fit in an int");
                    }
                    out[i] = (int) v;
                }
            }
            case I8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i);
                }
            }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
                }
            }
            case BOOL -> {
                for (int i = 0; i < n; i++) {
                    out[i] = boolAt(i);
                }
            }
            default -> throw new AssertionError(dtype);
        }
        return out;
    }

    /** bfloat16 is the top half of a float32, so widening is a shift. */
    static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    private int boolAt(long i) {
        byte b = data.get(ValueLayout.JAVA_BYTE, i);
        // PyTorch and NumPy only ever write 0 or 1; anything else means corruption.
        if (b != 0 && b != 1) {
            throw error("BOOL element " + i + " has byte value " + (b & 0xFF) + ", expected 0 or 1");
        }
        return b;
    }

    private void requireIntegral(String target) {
        if (!dtype.isIntegral()) {
            throw error("cannot convert " + dtype + " to " + target
                    + " without losing the fraction; use toFloatArray() or toDoubleArray()");
        }
    }

    private int checkArrayLength(long count, String what) {
        if (count > MAX_ARRAY_LENGTH) {
            throw error("has " + count + " " + what + ", more than a Java array can hold");
        }
        return (int) count;
    }

    /** Allocates a result array, reporting a too-large tensor as a SafetensorsException rather than a crash. */
    private <A> A allocate(int n, IntFunction<A> constructor) {
        try {
            return constructor.apply(n);
        } catch (OutOfMemoryError e) {
            throw new SafetensorsException(source, name, "not enough heap for " + n + " elements", e);
        }
    }

    private SafetensorsException error(String problem) {
        return new SafetensorsException(source, name, problem);
    }

    @Override
    public String toString() {
        return "TensorEntry[" + name + ", " + dtype + ", shape=" + Arrays.toString(shape) + "]";
    }
}
