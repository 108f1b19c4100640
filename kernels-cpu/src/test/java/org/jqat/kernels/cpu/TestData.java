package org.jqat.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.ReferenceBackend;
import org.jqat.core.backend.Storage;

/** Seeded random buffers and tolerance-aware comparisons shared by the kernel tests. */
final class TestData {
    static final ReferenceBackend REF = new ReferenceBackend();
    static final CpuBackend CPU = new CpuBackend();
    /** Sizes that straddle every vector width's tail (1..65) plus a few that span several blocks. */
    static final int[] TAIL_SIZES = {1, 2, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 129, 1000};

    private TestData() {
    }

    static float[] randn(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static Storage storage(float[] a) {
        return new HeapStorage(a.clone());
    }

    static float[] data(Storage s) {
        return HeapStorage.of(s);
    }

    /** Element-wise |a-b| <= tol·(1 + |b|), reporting the first offender. */
    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            float e = expected[i], a = actual[i];
            if (Float.isNaN(e) && Float.isNaN(a)) {
                continue;
            }
            if (!(Math.abs(e - a) <= tol * (1 + Math.abs(e)))) {
                fail(what + ": index " + i + " expected " + e + " but was " + a + " (tol " + tol + ")");
            }
        }
    }

    /** Bit-for-bit equality (NaNs compared by pattern after canonicalisation). */
    static void assertBitExact(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": index " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }

    /** Tolerance for a float sum of {@code n} terms of unit size against a double reference. */
    static double sumTol(int n) {
        return 2e-6 * Math.sqrt(Math.max(1, n)) + 1e-6;
    }
}
