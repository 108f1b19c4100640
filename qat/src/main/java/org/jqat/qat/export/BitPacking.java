package org.jqat.qat.export;

/**
 * Packs unsigned codes of 1, 2 or 4 bits several to a byte, LSB first: element {@code i} lives in
 * byte {@code i / (8/bits)} at bit offset {@code (i % (8/bits))·bits}. For 4 bits, element 2j is
 * the low nibble of byte j and element 2j+1 the high nibble; for 2 bits, elements 4j..4j+3 occupy
 * bits 0-1, 2-3, 4-5, 6-7. A last partial byte is zero-padded. Codes are stored as
 * {@code c − codeMin}, so they are always in {@code [0, 2^bits − 1]}.
 */
public final class BitPacking {
    private BitPacking() {
    }

    /** Whether this bit width is packed (divides 8 and is below 8). */
    public static boolean packs(int bits) {
        return bits == 1 || bits == 2 || bits == 4;
    }

    /** Bytes needed for n codes of this width. */
    public static int packedLength(int n, int bits) {
        int per = 8 / bits;
        return (n + per - 1) / per;
    }

    /** Packs unsigned values {@code u[i] ∈ [0, 2^bits − 1]}. */
    public static byte[] pack(int[] u, int bits) {
        if (!packs(bits)) {
            throw new IllegalArgumentException("packing: bits must be 1, 2 or 4, got " + bits);
        }
        int per = 8 / bits;
        int mask = (1 << bits) - 1;
        byte[] out = new byte[packedLength(u.length, bits)];
        for (int i = 0; i < u.length; i++) {
            if (u[i] < 0 || u[i] > mask) {
                throw new IllegalArgumentException("packing: value " + u[i] + " at " + i + " does not fit " + bits + " bits");
            }
            out[i / per] |= (byte) (u[i] << ((i % per) * bits));
        }
        return out;
    }

    /** Unpacks n values written by {@link #pack}. */
    public static int[] unpack(byte[] packed, int n, int bits) {
        if (!packs(bits)) {
            throw new IllegalArgumentException("packing: bits must be 1, 2 or 4, got " + bits);
        }
        int per = 8 / bits;
        if (packed.length < packedLength(n, bits)) {
            throw new IllegalArgumentException("packing: " + packed.length + " bytes cannot hold " + n + " values of " + bits + " bits");
        }
        int mask = (1 << bits) - 1;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = ((packed[i / per] & 0xFF) >>> ((i % per) * bits)) & mask;
        }
        return out;
    }
}
