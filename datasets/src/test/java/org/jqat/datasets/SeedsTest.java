package org.jqat.datasets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

class SeedsTest {
    @Test
    void sampleRngDependsOnlyOnItsInputs() {
        assertEquals(Seeds.sampleRng(1, 2, 3).nextLong(), Seeds.sampleRng(1, 2, 3).nextLong());
        assertNotEquals(Seeds.sampleRng(1, 2, 3).nextLong(), Seeds.sampleRng(1, 2, 4).nextLong());
        assertNotEquals(Seeds.sampleRng(1, 2, 3).nextLong(), Seeds.sampleRng(1, 3, 3).nextLong());
        assertNotEquals(Seeds.sampleRng(1, 2, 3).nextLong(), Seeds.sampleRng(2, 2, 3).nextLong());
        assertNotEquals(Seeds.epochSeed(0, 0), Seeds.epochSeed(0, 1));
    }
}
