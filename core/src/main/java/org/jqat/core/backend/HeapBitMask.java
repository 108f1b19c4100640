package org.jqat.core.backend;

/** A {@link BitMask} on the heap: bit i of {@code words[i >> 6]}. */
public final class HeapBitMask extends BitMask {
    private final long[] words;
    private final int size;

    public HeapBitMask(int size) {
        this.size = size;
        this.words = new long[(size + 63) >>> 6];
    }

    /** The backing words, not a copy; CPU kernels write them directly. */
    public long[] words() {
        return words;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean get(int i) {
        return (words[i >>> 6] >>> (i & 63) & 1L) != 0;
    }

    public static long[] of(BitMask m) {
        if (m instanceof HeapBitMask h) {
            return h.words;
        }
        throw new IllegalArgumentException("expected a host bit mask");
    }
}
