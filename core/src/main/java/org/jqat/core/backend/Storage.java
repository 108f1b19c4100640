package org.jqat.core.backend;

/**
 * A flat buffer of float32 elements owned by one device. Tensors are views (shape, strides,
 * offset) over a storage; several tensors may share one.
 *
 * <p>Host storages live on the Java heap and need no closing. Device storages (CUDA) hold
 * memory outside the heap and must be closed; {@link org.jqat.core.Tensor#close()} does so.
 */
public abstract class Storage implements AutoCloseable {

    /** Number of float elements. */
    public abstract int size();

    /** The device this memory lives on. */
    public abstract Device device();

    /** Releases device memory; a no-op for host storage. Safe to call twice. */
    @Override
    public void close() {
    }
}
