package org.jqat.core.backend;

import java.util.Objects;

/** Storage on the Java heap: a plain {@code float[]} that every CPU backend reads directly. */
public final class HeapStorage extends Storage {
    private final float[] data;

    public HeapStorage(float[] data) {
        this.data = Objects.requireNonNull(data, "data");
    }

    public HeapStorage(int size) {
        this(new float[size]);
    }

    /** The backing array itself, not a copy. */
    public float[] data() {
        return data;
    }

    @Override
    public int size() {
        return data.length;
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    /**
     * False: the array is the collector's, {@link #free()} does nothing, so scopes need not
     * record tensors over it. A backend that recycles arrays would use a storage that says true
     * and return its array to the pool in {@code free()}.
     */
    @Override
    public boolean freesMemory() {
        return false;
    }

    /** The array behind a storage that must be on the heap; kernels of CPU backends use this. */
    public static float[] of(Storage s) {
        if (s instanceof HeapStorage h) {
            return h.data;
        }
        throw new IllegalArgumentException("expected host memory but got storage on " + s.device()
                + "; move the tensor with .to(Device.CPU) first");
    }
}
