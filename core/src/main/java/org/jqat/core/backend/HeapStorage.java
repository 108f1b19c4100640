package org.jqat.core.backend;

import java.util.Objects;
import java.util.function.Consumer;

/** Storage on the Java heap: a plain {@code float[]} that every CPU backend reads directly. */
public final class HeapStorage extends Storage {
    private final float[] data;
    /** Where the array goes when the last tensor over it is closed; null: it is the collector's. */
    private final Consumer<float[]> recycler;

    public HeapStorage(float[] data) {
        this(data, null);
    }

    private HeapStorage(float[] data, Consumer<float[]> recycler) {
        this.data = Objects.requireNonNull(data, "data");
        this.recycler = recycler;
    }

    /**
     * A storage whose array is handed to {@code recycler} (a backend's pool) when its last tensor
     * is closed, or when it is closed unwrapped; the array must be one nobody else holds. Tensors
     * over it are recorded by an open {@link org.jqat.core.TensorScope}, so a training step gives
     * its activations and gradients back at its end and the next step reuses them.
     */
    public static HeapStorage recycled(float[] data, Consumer<float[]> recycler) {
        return new HeapStorage(data, Objects.requireNonNull(recycler, "recycler"));
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
     * Whether {@link #free()} gives the array back to a pool ({@link #recycled}); a plain heap
     * storage's array is the collector's, so scopes need not record tensors over it.
     */
    @Override
    public boolean freesMemory() {
        return recycler != null;
    }

    @Override
    protected void free() {
        if (recycler != null) {
            recycler.accept(data);
        }
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
