package org.jqat.nn.checkpoint;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.jqat.core.Tensor;
import org.jqat.core.io.DType;

/**
 * A tensor as {@code torch.load} rebuilds it: a strided view ({@code shape}, {@code stride},
 * {@code storageOffset}, in elements) over a {@link TorchStorage}. The constructor checks that
 * every element it addresses lies inside the storage, so the conversions never read out of
 * bounds.
 */
public final class TorchTensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final TorchStorage storage;
    private final int[] shape;
    private final long[] stride;
    private final long storageOffset;
    private final boolean requiresGrad;
    private final long numel;

    /**
     * @throws TorchFormatException (naming {@code source}) if a size or stride is negative, the
     *                              element count does not fit a Java array, or the view reaches
     *                              past the storage
     */
    public TorchTensor(String source, TorchStorage storage, long storageOffset, long[] shape, long[] stride, boolean requiresGrad) {
        if (shape.length != stride.length) {
            throw new TorchFormatException(source, "tensor has " + shape.length + " sizes but " + stride.length + " strides");
        }
        if (storageOffset < 0) {
            throw new TorchFormatException(source, "tensor has negative storage offset " + storageOffset);
        }
        this.shape = new int[shape.length];
        long n = 1;
        long lastElement = storageOffset;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0 || shape[i] > Integer.MAX_VALUE || stride[i] < 0) {
                throw new TorchFormatException(source, "tensor has size " + Arrays.toString(shape) + " and stride "
                        + Arrays.toString(stride) + ": sizes and strides must be non-negative");
            }
            this.shape[i] = (int) shape[i];
            n = Math.multiplyHigh(n, shape[i]) != 0 ? Long.MAX_VALUE : n * shape[i];
            if (n > Integer.MAX_VALUE - 8) {
                throw new TorchFormatException(source, "tensor of size " + Arrays.toString(shape) + " has too many elements for one array");
            }
        }
        if (n > 0) {
            for (int i = 0; i < shape.length; i++) {
                // (size - 1) * stride cannot overflow: size < 2^31 and the product is checked against the storage below.
                long reach = Math.multiplyHigh(shape[i] - 1, stride[i]) != 0 ? Long.MAX_VALUE : (shape[i] - 1) * stride[i];
                lastElement = reach > Long.MAX_VALUE - lastElement ? Long.MAX_VALUE : lastElement + reach;
            }
            if (lastElement >= storage.numel()) {
                throw new TorchFormatException(source, "tensor of size " + Arrays.toString(shape) + ", stride "
                        + Arrays.toString(stride) + " at offset " + storageOffset + " reaches past its storage "
                        + TorchFormatException.quote(storage.key()) + " of " + storage.numel() + " elements");
            }
            // Overlapping views (stride 0, expand()) would let a tiny file demand gigabytes;
            // no trained weight is stored that way, so refuse more elements than the storage holds.
            if (n > storage.numel()) {
                throw new TorchFormatException(source, "tensor of size " + Arrays.toString(shape) + " has more elements than its storage "
                        + TorchFormatException.quote(storage.key()) + " (" + storage.numel() + "): overlapping views are not supported");
            }
        }
        this.storage = storage;
        this.stride = stride.clone();
        this.storageOffset = storageOffset;
        this.requiresGrad = requiresGrad;
        this.numel = n;
    }

    public DType dtype() {
        return storage.dtype();
    }

    public int[] shape() {
        return shape.clone();
    }

    public long[] stride() {
        return stride.clone();
    }

    public long storageOffset() {
        return storageOffset;
    }

    public TorchStorage storage() {
        return storage;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    public long numel() {
        return numel;
    }

    /** The elements in row-major order, converted to float (exactly for F32, F16, BF16, small integers). */
    public float[] toFloatArray() {
        float[] out = new float[(int) numel];
        visit((i, at) -> out[i] = (float) element(at));
        return out;
    }

    /** The elements in row-major order as double (exact for every dtype but I64 beyond 2^53). */
    public double[] toDoubleArray() {
        double[] out = new double[(int) numel];
        visit((i, at) -> out[i] = element(at));
        return out;
    }

    /** A float32 jqat tensor of the same shape (contiguous). */
    public Tensor toTensor() {
        return Tensor.of(toFloatArray(), shape.clone());
    }

    private interface ElementSink {
        void put(int index, long storageIndex);
    }

    /** Calls {@code sink} with each element's row-major index and its storage element index. */
    private void visit(ElementSink sink) {
        int rank = shape.length;
        int[] pos = new int[rank];
        long at = storageOffset;
        for (int i = 0; i < numel; i++) {
            sink.put(i, at);
            for (int d = rank - 1; d >= 0; d--) {
                if (++pos[d] < shape[d]) {
                    at += stride[d];
                    break;
                }
                at -= (long) (shape[d] - 1) * stride[d];
                pos[d] = 0;
            }
        }
    }

    private double element(long i) {
        var d = storage.data();
        return switch (storage.dtype()) {
            case F32 -> d.getAtIndex(F32, i);
            case F64 -> d.getAtIndex(F64, i);
            case F16 -> Float.float16ToFloat(d.getAtIndex(I16, i));
            case BF16 -> Float.intBitsToFloat((d.getAtIndex(I16, i) & 0xFFFF) << 16);
            case I64 -> d.getAtIndex(I64, i);
            case I32 -> d.getAtIndex(I32, i);
            case I8 -> d.get(ValueLayout.JAVA_BYTE, i);
            case U8, BOOL -> d.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
        };
    }

    @Override
    public String toString() {
        return "TorchTensor(" + dtype() + " " + Arrays.toString(shape) + ", storage " + storage.key() + ")";
    }
}
