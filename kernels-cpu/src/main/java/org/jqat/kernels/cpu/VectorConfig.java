package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every kernel of this backend uses. Chosen once at class load so the JIT sees
 * a constant and unrolls lane counts; {@code -Djqat.vector.bits=128|256|512} overrides the
 * machine's preferred width (useful to compare AVX2 against AVX-512 on the same box).
 */
final class VectorConfig {
    static final VectorSpecies<Float> F = choose();
    static final int LANES = F.length();

    private VectorConfig() {
    }

    /**
     * Sum of the lanes in lane order, in double. {@code reduceLanes(ADD)} may associate
     * differently in interpreted and JIT-compiled code, which would make results depend on
     * when the JIT kicks in and break run-to-run determinism (exact resume relies on it).
     */
    static double sumLanes(FloatVector v) {
        double s = 0;
        for (int i = 0; i < LANES; i++) {
            s += v.lane(i);
        }
        return s;
    }

    private static VectorSpecies<Float> choose() {
        String bits = System.getProperty("jqat.vector.bits");
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.trim()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException("jqat.vector.bits must be 128, 256 or 512, got " + bits);
        };
    }
}
