package org.jqat.kernels.cuda;

import org.jqat.core.backend.BitMask;

/**
 * One bit per element in GPU memory, laid out as {@link org.jqat.core.backend.HeapBitMask}: bit i
 * of little-endian 64-bit word {@code i >> 6}, i.e. bit {@code i & 31} of 32-bit word {@code i >> 5}.
 * Backed by a {@link CudaStorage} of {@code 2·ceil(size/64)} 32-bit words.
 */
public final class CudaBitMask extends BitMask {
    private final CudaRuntime rt;
    private final CudaStorage words;
    private final int size;

    CudaBitMask(CudaRuntime rt, int size) {
        this.rt = rt;
        this.size = size;
        this.words = new CudaStorage(rt.allocator, wordCount(size));
        rt.memsetZero(words.ptr(), 0, wordCount(size));
    }

    /** 32-bit words covering {@code size} bits, rounded to whole 64-bit words. */
    static int wordCount(int size) {
        return (int) (((long) size + 63) / 64 * 2);
    }

    jcuda.driver.CUdeviceptr ptr() {
        return words.ptr();
    }

    @Override
    public int size() {
        return size;
    }

    /** Reads one word from the device: slow, for tests and debugging. */
    @Override
    public boolean get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException(i);
        }
        int w = rt.downloadInts(words.ptr(), i >>> 5, 1)[0];
        return (w >>> (i & 31) & 1) != 0;
    }

    /** All words, as 64-bit words like HeapBitMask.words(). */
    public long[] toLongWords() {
        int n32 = wordCount(size);
        int[] w = n32 == 0 ? new int[0] : rt.downloadInts(words.ptr(), 0, n32);
        long[] out = new long[n32 / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (w[2 * i] & 0xffffffffL) | ((long) w[2 * i + 1] << 32);
        }
        return out;
    }

    static CudaBitMask of(BitMask m) {
        if (m instanceof CudaBitMask c) {
            return c;
        }
        throw new IllegalArgumentException("expected a GPU bit mask (from CudaBackend.allocateMask)");
    }

    @Override
    public void close() {
        words.close();
    }
}
