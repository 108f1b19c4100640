package org.jqat.kernels.cpu;

import static org.jqat.core.testing.FakeQuantConvCheck.checkAgainstComposition;

import org.jqat.core.Rng;
import org.jqat.core.backend.Backends;
import org.junit.jupiter.api.Test;

/**
 * On the cpu backend the fused quantized-input convolution (quantizing while laying out the
 * input, forward and weight gradient; the data gradient through the mask recomputed from x)
 * equals conv2d of the fake-quantized tensor, value and every gradient, bit for bit.
 */
class FusedConvTest {

    @Test
    void fakeQuantizedInputEqualsTheUnfusedPair() {
        try (var scope = Backends.using(new CpuBackend())) {
            Rng rng = new Rng(8);
            checkAgainstComposition(rng, new int[] {3, 16, 9, 9}, new int[] {16, 16, 3, 3}, 1, 1, false);
            checkAgainstComposition(rng, new int[] {2, 8, 10, 10}, new int[] {16, 8, 3, 3}, 2, 1, true);
            checkAgainstComposition(rng, new int[] {2, 8, 6, 6}, new int[] {4, 8, 1, 1}, 2, 0, false);
            checkAgainstComposition(rng, new int[] {3, 5, 11, 9}, new int[] {7, 5, 3, 3}, 2, 1, true);  // odd sizes, tails
            checkAgainstComposition(rng, new int[] {1, 3, 7, 13}, new int[] {9, 3, 3, 3}, 1, 1, false); // batch 1
        }
    }
}
