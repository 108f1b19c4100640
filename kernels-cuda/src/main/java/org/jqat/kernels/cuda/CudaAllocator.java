package org.jqat.kernels.cuda;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.TreeMap;
import jcuda.driver.CUdeviceptr;

/**
 * A caching device allocator in the manner of PyTorch's: requests are rounded up to a size class
 * (multiples of 512 B below 1 MiB, of 2 MiB above) and freed blocks go to a per-class free list
 * instead of {@code cuMemFree}, so a training step that repeats the previous step's allocations
 * makes no driver calls. Blocks are used by one stream only, so a block freed on the host can be
 * handed out again at once: kernels that used it are queued before any kernel of its next owner.
 * When {@code cuMemAlloc} runs out of memory, the cache is released (after a stream sync) and the
 * allocation retried. Thread-safe.
 */
final class CudaAllocator {
    static final long SMALL_ROUND = 512;
    static final long SMALL_LIMIT = 1L << 20;
    static final long LARGE_ROUND = 2L << 20;

    /** A device block of {@code bytes} (a size class). */
    record Block(CUdeviceptr ptr, long bytes) {
    }

    /** Counters for tests and {@code describe()}. */
    public record Stats(long liveBlocks, long liveBytes, long cachedBlocks, long cachedBytes,
                        long deviceAllocations, long deviceFrees, long cacheHits) {
    }

    private final CudaRuntime rt;
    private final TreeMap<Long, ArrayDeque<Block>> free = new TreeMap<>();
    private long liveBlocks;
    private long liveBytes;
    private long cachedBlocks;
    private long cachedBytes;
    private long deviceAllocations;
    private long deviceFrees;
    private long cacheHits;

    CudaAllocator(CudaRuntime rt) {
        this.rt = rt;
    }

    static long sizeClass(long bytes) {
        long b = Math.max(bytes, 1);
        long round = b < SMALL_LIMIT ? SMALL_ROUND : LARGE_ROUND;
        return (b + round - 1) / round * round;
    }

    /** A block of at least {@code bytes}; contents undefined. */
    Block allocate(long bytes) {
        long size = sizeClass(bytes);
        Block cached = fromCache(size);
        if (cached != null) {
            return cached;
        }
        rt.enter();
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, size);
        } catch (RuntimeException e) {
            if (!CudaRuntime.isOutOfMemory(e)) {
                throw e;
            }
            // Tensors nobody closed return their blocks only when collected: free the cache,
            // collect (without holding the lock, so the cleaner can return blocks), free again, retry.
            releaseCached();
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            releaseCached();
            cuMemAlloc(p, size);
        }
        synchronized (this) {
            deviceAllocations++;
            liveBlocks++;
            liveBytes += size;
        }
        return new Block(p, size);
    }

    private synchronized Block fromCache(long size) {
        ArrayDeque<Block> list = free.get(size);
        if (list == null || list.isEmpty()) {
            return null;
        }
        Block b = list.pop();
        cachedBlocks--;
        cachedBytes -= size;
        liveBlocks++;
        liveBytes += size;
        cacheHits++;
        return b;
    }

    /** Returns a block to its free list. */
    synchronized void release(Block b) {
        free.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).push(b);
        liveBlocks--;
        liveBytes -= b.bytes();
        cachedBlocks++;
        cachedBytes += b.bytes();
    }

    /** Frees every cached block back to the driver (after the stream drains). */
    synchronized void releaseCached() {
        rt.synchronize();
        for (Map.Entry<Long, ArrayDeque<Block>> e : free.entrySet()) {
            for (Block b : e.getValue()) {
                cuMemFree(b.ptr());
                deviceFrees++;
            }
        }
        free.clear();
        cachedBlocks = 0;
        cachedBytes = 0;
    }

    synchronized Stats stats() {
        return new Stats(liveBlocks, liveBytes, cachedBlocks, cachedBytes, deviceAllocations, deviceFrees, cacheHits);
    }
}
