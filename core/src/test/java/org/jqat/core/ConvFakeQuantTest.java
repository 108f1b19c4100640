package org.jqat.core;

import static org.jqat.core.testing.FakeQuantConvCheck.checkAgainstComposition;

import org.jqat.core.backend.Backends;
import org.jqat.core.backend.ReferenceBackend;
import org.junit.jupiter.api.Test;

/** {@link Functional#conv2dFakeQuantInput} equals conv2d of {@link Functional#fakeQuantize}, in value and gradient. */
class ConvFakeQuantTest {

    @Test
    void equalsTheUnfusedPairOnTheReference() {
        try (var scope = Backends.using(new ReferenceBackend())) {
            Rng rng = new Rng(7);
            checkAgainstComposition(rng, new int[] {2, 3, 7, 6}, new int[] {4, 3, 3, 3}, 1, 1, false);
            checkAgainstComposition(rng, new int[] {2, 3, 8, 8}, new int[] {5, 3, 3, 3}, 2, 1, true);
            checkAgainstComposition(rng, new int[] {1, 4, 5, 5}, new int[] {3, 4, 1, 1}, 2, 0, true);
        }
    }
}
