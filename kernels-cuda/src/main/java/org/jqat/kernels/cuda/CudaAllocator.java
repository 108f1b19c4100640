package org.jqat.kernels.cuda;

import java.util.ArrayDeque;
import java.util.Locale;
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
 * allocation retried once; if the device is still full, {@link CudaOutOfMemoryException} says how
 * much open tensors hold. Blocks come back only from their storage's owner (the last tensor over
 * it closed, a {@link org.jqat.core.TensorScope} ending, a workspace closed) or, as a safety net,
 * when the collector finds a storage unreachable; the allocator never waits for the collector.
 * Thread-safe.
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
        jcuda.driver.CUdeviceptr p = rt.memAlloc(size);
        if (p == null) {
            // Cached blocks of other sizes are free memory the driver cannot see: give them back, retry.
            releaseCached();
            p = rt.memAlloc(size);
        }
        if (p == null) {
            Stats s = stats();
            throw new CudaOutOfMemoryException(String.format(Locale.ROOT,
                    "CUDA out of memory: cannot allocate %.1f MiB on %s (%.1f GiB): %d live blocks hold %.1f MiB, the cache was emptied;"
                            + " close tensors that are no longer needed, or run each step inside a TensorScope",
                    size / 1048576.0, rt.deviceName(), rt.totalMemory() / (double) (1L << 30), s.liveBlocks(), s.liveBytes() / 1048576.0));
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
                rt.memFree(b.ptr());
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
