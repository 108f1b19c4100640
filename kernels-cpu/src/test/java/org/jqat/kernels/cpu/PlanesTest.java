package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.randn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Random;
import org.jqat.core.backend.Conv2dShape;
import org.junit.jupiter.api.Test;

/**
 * The padded, phase-split input planes of the direct convolution against their definition: plane
 * (ci, py, px) row r, column j holds the padded input at (py + r·sh, px + j·sw), zero outside the
 * image (fake-quantized when asked). Covers the stride-2 path that splits each input row into its
 * two column phases at once, and the general one beside it.
 */
class PlanesTest {

    @Test
    void planesHoldThePaddedInputAtEveryPhase() {
        Random r = new Random(61);
        DirectConv.InputQuant quant = new DirectConv.InputQuant(0.3f, 0.05f, -4f, 3f);
        for (int i = 0; i < 80; i++) {
            int sh = 1 + r.nextInt(3), sw = i % 2 == 0 ? 2 : 1 + r.nextInt(3);
            int k = 1 + r.nextInt(4), ph = r.nextInt(k + 1), pw = r.nextInt(k + 1);
            int h = 1 + r.nextInt(12), w = (i % 4 == 0 ? 2 * (1 + r.nextInt(20)) : 1 + r.nextInt(40));
            int cin = 1 + r.nextInt(5);
            Conv2dShape s = new Conv2dShape(2, cin, h, w, 3, k, k, sh, sw, ph, pw, 1, 1, 1);
            if (s.outH() < 1 || s.outW() < 1) {
                continue;
            }
            DirectConv.Planes p = DirectConv.Planes.of(s);
            float[] x = randn(r, 2 * cin * h * w);
            for (DirectConv.InputQuant q : new DirectConv.InputQuant[] {null, quant}) {
                float[] expected = expected(s, p, x, 1, q);
                float[] fresh = new float[p.imageSize() + 5];
                Arrays.fill(fresh, Float.NaN); // every value of the planes must be written
                p.build(x, cin * h * w, fresh, 3, q, false);
                assertPlanes(expected, fresh, 3, s + " q=" + q);
                // a buffer that already holds this geometry's padding gets only the image's values
                float[] reused = fresh.clone();
                p.build(x, 0, reused, 3, q, true);
                p.build(x, cin * h * w, reused, 3, q, true);
                assertPlanes(expected, reused, 3, s + " q=" + q + " (borders kept)");
            }
        }
    }

    private static void assertPlanes(float[] expected, float[] actual, int off, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[off + i], what + " at " + i);
        }
    }

    /** The definition, value by value. */
    private static float[] expected(Conv2dShape s, DirectConv.Planes p, float[] x, int image, DirectConv.InputQuant q) {
        int h = s.h(), w = s.w(), sh = s.strideH(), sw = s.strideW();
        float[] out = new float[p.imageSize()];
        int d = 0;
        for (int ci = 0; ci < s.cIn(); ci++) {
            for (int py = 0; py < sh; py++) {
                for (int px = 0; px < sw; px++) {
                    for (int row = 0; row < p.hq(); row++) {
                        for (int j = 0; j < p.wq(); j++, d++) {
                            int iy = py + row * sh - s.padH(), ix = px + j * sw - s.padW();
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w) {
                                float v = x[((image * s.cIn() + ci) * h + iy) * w + ix];
                                out[d] = q == null ? v : FakeQuantKernels.quantize(v, q.step(), q.beta(), q.qmin(), q.qmax());
                            }
                        }
                    }
                }
            }
        }
        return out;
    }
}
