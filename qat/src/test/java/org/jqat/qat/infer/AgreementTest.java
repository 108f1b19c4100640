package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AgreementTest {
    @Test
    void countsTopOneMatchesAccuracyAndTheLargestDifference() {
        Agreement a = new Agreement();
        // image 0: both pick class 1; image 1: reference picks 0, integer picks 2
        a.add(new float[] {0f, 2f, 1f, 3f, 0f, 2.5f}, new float[] {0.1f, 1.9f, 1f, 2.9f, 0f, 3.2f}, 3, new int[] {1, 2});
        assertEquals(2, a.images());
        assertEquals(1, a.sameTop1());
        assertEquals(0.5, a.rate());
        assertEquals(50.0, a.referenceTop1());
        assertEquals(100.0, a.integerTop1());
        assertEquals(0.7, a.maxLogitDiff(), 1e-6);
        assertEquals(3.0, a.maxAbsLogit(), 1e-6);
        assertTrue(a.toString().contains("1/2 (50.00%)"), a.toString());
    }

    @Test
    void aNanLogitIsTheArgmaxAndIntModelRefusesTheRow() {
        assertEquals(2, Agreement.argmax(new float[] {1, 5, Float.NaN, 9}, 0, 4));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> IntModel.argmax(
                org.jqat.core.Tensor.of(new float[] {1, 2, 3, 4, Float.NaN, 6}, 2, 3)));
        assertTrue(e.getMessage().contains("image 1") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void rejectsMismatchedShapes() {
        Agreement a = new Agreement();
        assertThrows(IllegalArgumentException.class, () -> a.add(new float[6], new float[4], 3, null));
        assertThrows(IllegalArgumentException.class, () -> a.add(new float[6], new float[6], 4, null));
        assertThrows(IllegalArgumentException.class, () -> a.add(new float[6], new float[6], 3, new int[3]));
    }
}
