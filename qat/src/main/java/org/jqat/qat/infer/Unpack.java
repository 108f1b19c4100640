package org.jqat.qat.infer;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Unpacks 4- and 2-bit weight codes (the export's packing: LSB first, stored as code − codeMin)
 * into signed bytes {@code code = stored + codeMin}. The SIMD version widens 8 packed bytes with a
 * zero extension (B2S for 4 bits, B2I for 2 bits), separates the fields with shifts and masks,
 * and reinterprets the lanes as bytes (little-endian lane order interleaves the fields in
 * element order). {@link #unpackScalar} is the twin; 1-bit codes always go through it.
 */
public final class Unpack {
    private Unpack() {
    }

    /** Scalar: elements {@code from .. from+n−1} of the packed array into {@code dst[dstOff..]}. */
    public static void unpackScalar(byte[] packed, int bits, int codeMin, int from, int n, byte[] dst, int dstOff) {
        int per = 8 / bits;
        int mask = (1 << bits) - 1;
        for (int i = 0; i < n; i++) {
            int e = from + i;
            dst[dstOff + i] = (byte) ((((packed[e / per] & 0xFF) >>> ((e % per) * bits)) & mask) + codeMin);
        }
    }

    /** SIMD version of {@link #unpackScalar} (scalar head up to a byte boundary and scalar tail). */
    public static void unpack(byte[] packed, int bits, int codeMin, int from, int n, byte[] dst, int dstOff) {
        Simd.unpack(packed, bits, codeMin, from, n, dst, dstOff);
    }

    /**
     * The Vector API code, in a class of its own: the scalar twin must run on a JVM started
     * without {@code --add-modules jdk.incubator.vector} (class path), and a class's bytecode is
     * verified as a whole when it links, loading the vector classes its methods use. This class
     * links only when a SIMD kernel first runs.
     */
    private static final class Simd {
        static void unpack(byte[] packed, int bits, int codeMin, int from, int n, byte[] dst, int dstOff) {
            if (bits != 4 && bits != 2) {
                unpackScalar(packed, bits, codeMin, from, n, dst, dstOff);
                return;
            }
            int per = 8 / bits;
            int head = Math.min(n, (per - from % per) % per);
            unpackScalar(packed, bits, codeMin, from, head, dst, dstOff);
            int i = head;
            int step = 8 * per; // 8 packed bytes per iteration
            byte min = (byte) codeMin;
            while (n - i >= step && (from + i) / per + 8 <= packed.length) {
                int pb = (from + i) / per;
                ByteVector v = ByteVector.fromArray(ByteVector.SPECIES_64, packed, pb);
                ByteVector out;
                if (bits == 4) {
                    ShortVector s = (ShortVector) v.convertShape(VectorOperators.ZERO_EXTEND_B2S, ShortVector.SPECIES_128, 0);
                    ShortVector lo = s.and((short) 0xF);
                    ShortVector hi = s.lanewise(VectorOperators.LSHR, 4).lanewise(VectorOperators.LSHL, 8);
                    out = lo.or(hi).reinterpretAsBytes();
                } else {
                    IntVector s = (IntVector) v.convertShape(VectorOperators.ZERO_EXTEND_B2I, IntVector.SPECIES_256, 0);
                    IntVector f = s.and(3)
                            .or(s.lanewise(VectorOperators.LSHR, 2).and(3).lanewise(VectorOperators.LSHL, 8))
                            .or(s.lanewise(VectorOperators.LSHR, 4).and(3).lanewise(VectorOperators.LSHL, 16))
                            .or(s.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 24));
                    out = f.reinterpretAsBytes();
                }
                out.add(min).intoArray(dst, dstOff + i);
                i += step;
            }
            unpackScalar(packed, bits, codeMin, from + i, n - i, dst, dstOff + i);
        }
    }
}
