package org.jqat.core.backend;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A flat buffer of float32 elements owned by one device. Tensors are views (shape, strides,
 * offset) over a storage; several tensors may share one.
 *
 * <p><b>Ownership.</b> A storage counts the tensors that use it: each {@link org.jqat.core.Tensor}
 * over it (the tensor an op returns, every view of it, an alias from {@code to()}) holds one
 * reference, taken when the tensor is made and given back by {@code Tensor.close()} (or by the
 * {@link org.jqat.core.TensorScope} the tensor was made in). The memory is freed, once, when the
 * last reference goes: closing a view or an alias never frees memory another tensor still uses.
 * A storage no tensor ever wrapped (a kernel's workspace) is freed by {@link #close()}.
 * Device storages also free themselves when the garbage collector finds them unreachable, as a
 * safety net; host storages live on the heap and the collector reclaims them anyway.
 *
 * <p>{@link #free()} is the single hook where memory goes back: the CUDA backend returns its block
 * to the caching allocator there, and a host backend may recycle its array there. Using a storage
 * after it was freed fails with {@link IllegalStateException}.
 */
public abstract class Storage implements AutoCloseable {
    /** Tensors holding this storage; −1 once freed. */
    private final AtomicInteger references = new AtomicInteger();
    /** Set by {@link #markConstant()}. */
    private volatile boolean constant;

    /** Number of float elements. */
    public abstract int size();

    /** The device this memory lives on. */
    public abstract Device device();

    /**
     * Returns the memory (to a cache, a pool or the driver). Called exactly once, when the last
     * reference is released or when an unreferenced storage is closed; never called for a storage
     * a tensor still holds. The default does nothing (heap memory is the collector's).
     */
    protected void free() {
    }

    /**
     * Whether {@link #free()} gives memory back (device blocks; a host pool). A
     * {@link org.jqat.core.TensorScope} records only tensors over such storages: recording the
     * others would just keep garbage reachable until the scope ends (a step's activations and
     * gradients, which the collector can reclaim as the backward pass drops them). True unless
     * overridden; {@link HeapStorage} says false.
     */
    public boolean freesMemory() {
        return true;
    }

    /** Takes a reference (a tensor now uses this storage); fails if the storage was already freed. */
    public final void retain() {
        int r;
        do {
            r = references.get();
            if (r < 0) {
                throw new IllegalStateException(released());
            }
        } while (!references.compareAndSet(r, r + 1));
    }

    /** Gives back a reference; the last one frees the memory. */
    public final void release() {
        int r;
        do {
            r = references.get();
            if (r <= 0) {
                throw new IllegalStateException(r < 0 ? released() : "Storage.release: no reference to release on " + this);
            }
        } while (!references.compareAndSet(r, r == 1 ? -1 : r - 1));
        if (r == 1) {
            free();
        }
    }

    /**
     * Marks the values final: whoever owns this storage promises never to write them again (an
     * inference model's folded weights). A backend may then keep layouts derived from them (the
     * cpu backend's packed convolution weights) for as long as the storage lives, instead of
     * deriving them on every call. Writing a constant storage afterwards is a bug those layouts
     * would not see.
     */
    public final void markConstant() {
        constant = true;
    }

    /** Whether {@link #markConstant()} was called. */
    public final boolean isConstant() {
        return constant;
    }

    /** Number of tensors holding this storage (0 for a bare kernel workspace), or −1 once freed. */
    public final int references() {
        return references.get();
    }

    /** Whether the memory has been freed; such a storage must not be read or written. */
    public final boolean isFreed() {
        return references.get() < 0;
    }

    /**
     * Frees a storage that no tensor holds (a backend's temporary); safe to call twice. A storage
     * that tensors still hold is left to them: closing it would pull memory from under them, so
     * that fails instead.
     */
    @Override
    public void close() {
        int r = references.get();
        if (r < 0) {
            return;
        }
        if (r > 0) {
            throw new IllegalStateException("Storage.close: " + this + " is still held by " + r
                    + " tensor(s); close the tensors instead");
        }
        if (references.compareAndSet(0, -1)) {
            free();
        }
    }

    private String released() {
        return "use of released memory: " + this + " was freed when its last tensor was closed "
                + "(by Tensor.close() or the end of its TensorScope); keep tensors that outlive a scope with TensorScope.keep";
    }
}
