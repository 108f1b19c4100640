package org.jqat.kernels.cuda;

/** The device has no room for an allocation even after the allocator's cache was returned to the driver. */
public final class CudaOutOfMemoryException extends IllegalStateException {
    CudaOutOfMemoryException(String message) {
        super(message);
    }
}
