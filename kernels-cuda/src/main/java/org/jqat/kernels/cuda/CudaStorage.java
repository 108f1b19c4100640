package org.jqat.kernels.cuda;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;
import jcuda.driver.CUdeviceptr;
import org.jqat.core.backend.Device;
import org.jqat.core.backend.Storage;

/**
 * Float storage in GPU memory: a block of the caching allocator. The block goes back to the
 * allocator once, in {@link #free()}: when the last tensor over the storage is closed, when a
 * workspace no tensor wraps is closed, or, as a safety net, when the collector finds the storage
 * unreachable. A freed storage refuses to hand out its pointer, so a kernel can never be queued
 * on memory that another tensor may already have been given.
 */
public final class CudaStorage extends Storage {
    static final Cleaner CLEANER = Cleaner.create();

    private final CUdeviceptr ptr;
    private final int size;
    private final Cleaner.Cleanable cleanable;

    /** Returns the block exactly once, whether from close() or the cleaner thread. */
    static final class Release implements Runnable {
        private final CudaAllocator allocator;
        private final CudaAllocator.Block block;
        private final AtomicBoolean done = new AtomicBoolean();

        Release(CudaAllocator allocator, CudaAllocator.Block block) {
            this.allocator = allocator;
            this.block = block;
        }

        @Override
        public void run() {
            if (done.compareAndSet(false, true)) {
                allocator.release(block);
            }
        }
    }

    CudaStorage(CudaAllocator allocator, int size) {
        CudaAllocator.Block b = allocator.allocate((long) size * Float.BYTES);
        this.ptr = b.ptr();
        this.size = size;
        this.cleanable = CLEANER.register(this, new Release(allocator, b));
    }

    CUdeviceptr ptr() {
        if (isFreed()) {
            throw new IllegalStateException("use of released GPU memory: " + this + " was freed when its last tensor was closed"
                    + " (Tensor.close() or the end of its TensorScope); keep tensors that outlive a scope with TensorScope.keep");
        }
        return ptr;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Device device() {
        return Device.CUDA;
    }

    @Override
    protected void free() {
        cleanable.clean();
    }

    /** The storage behind a kernel argument, which must live on the GPU. */
    static CudaStorage of(Storage s) {
        if (s instanceof CudaStorage c) {
            return c;
        }
        throw new IllegalArgumentException("expected GPU memory but got storage on " + (s == null ? "null" : s.device())
                + "; move the tensor with .to(Device.CUDA) first");
    }

    @Override
    public String toString() {
        return "CudaStorage[" + size + " floats]";
    }
}
