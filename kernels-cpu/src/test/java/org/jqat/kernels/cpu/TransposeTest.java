package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The transpose against its definition: whole register blocks, edges of every width, offsets, and nothing written outside. */
class TransposeTest {

    @Test
    void transposesEveryShape() {
        Random r = new Random(71);
        int[] sizes = {1, 3, 15, 16, 17, 31, 32, 33, 64, 100, 576};
        for (int rows : sizes) {
            for (int cols : sizes) {
                int sOff = r.nextInt(7), dOff = r.nextInt(7);
                float[] src = randn(r, sOff + rows * cols + 5);
                float[] dst = new float[dOff + rows * cols + 5];
                Arrays.fill(dst, Float.NaN);
                Transpose.transpose(src, sOff, rows, cols, dst, dOff);
                for (int i = 0; i < dst.length; i++) {
                    int k = i - dOff;
                    if (k < 0 || k >= rows * cols) {
                        assertEquals(Float.NaN, dst[i], "written outside at " + i + " (" + rows + "x" + cols + ")");
                    } else {
                        int c = k / rows, row = k % rows;
                        assertEquals(src[sOff + row * cols + c], dst[i], rows + "x" + cols + " at row " + row + " column " + c);
                    }
                }
            }
        }
    }
}
