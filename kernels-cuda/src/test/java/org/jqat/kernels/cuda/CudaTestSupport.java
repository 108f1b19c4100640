package org.jqat.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.ReferenceBackend;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Assumptions;

/** The backend under test, a skip-with-reason guard, seeded data and comparisons. */
final class CudaTestSupport {
    static final ReferenceBackend REF = new ReferenceBackend();
    static final CudaBackend CUDA = new CudaBackend();
    /** Sizes straddling warp (32), mask word (64), block (256) and chunk (4096) boundaries. */
    static final int[] TAIL_SIZES = {1, 2, 7, 31, 32, 33, 63, 64, 65, 255, 257, 1000, 4097, 100_003};

    private CudaTestSupport() {
    }

    /** Skips the calling test with the backend's reason when there is no usable GPU. */
    static void requireGpu() {
        String why = CUDA.unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "CUDA backend unavailable: " + why);
    }

    static float[] randn(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    static Storage host(float[] a) {
        return new HeapStorage(a.clone());
    }

    static Storage dev(float[] a) {
        return CUDA.upload(a);
    }

    static float[] h(Storage s) {
        return HeapStorage.of(s);
    }

    static float[] d(Storage s) {
        return CUDA.download(s, 0, s.size());
    }

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

    static void assertBitExact(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            boolean bothNaN = Float.isNaN(expected[i]) && Float.isNaN(actual[i]);
            if (!bothNaN && Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                fail(what + ": index " + i + " expected " + expected[i] + " but was " + actual[i]);
            }
        }
    }
}
