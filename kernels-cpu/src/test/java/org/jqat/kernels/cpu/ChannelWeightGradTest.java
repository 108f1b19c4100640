package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

/**
 * The channel-vectorized weight gradient against the reference backend, both tile variants (four
 * and two vectors of output channels), on odd maps, strides, padding, dilation, tap counts off
 * the tile, several images per chunk and batch 1, with and without a fake-quantized input.
 */
class ChannelWeightGradTest {
    private static final int L = VectorConfig.LANES;

    private static void check(Random r, Conv2dShape s, float[] quant) {
        int xs = s.n() * s.cIn() * s.h() * s.w(), ys = s.n() * s.cOut() * s.outH() * s.outW();
        float[] x = randn(r, xs), gy = randn(r, ys);
        float[] input = x;
        DirectConv.InputQuant q = null;
        if (quant != null) {
            // the reference sees the tensor the fake-quantize kernel writes
            FakeQuantShape fq = FakeQuantShape.perTensor(xs, quant[2], quant[3], 1f, true);
            Storage xq = new HeapStorage(xs);
            REF.fakeQuantize(fq, storage(x), storage(new float[] {quant[0]}), storage(new float[] {quant[1]}), xq,
                    REF.allocateMask(xs));
            input = data(xq);
            q = new DirectConv.InputQuant(quant[0], quant[1], quant[2], quant[3]);
        }
        Storage expected = new HeapStorage(s.weightSize());
        REF.conv2dBackwardWeight(s, storage(input), storage(gy), expected);
        float[] gw = new float[s.weightSize()];
        Arrays.fill(gw, Float.NaN); // every weight must be written
        ChannelWeightGrad.backwardWeight(s, x, gy, gw, q);
        assertClose(data(expected), gw, sumTol(s.n() * s.outH() * s.outW()) * 4, "weight gradient " + s);
    }

    private static Conv2dShape shape(int n, int cIn, int hw, int cOut, int k, int stride) {
        return new Conv2dShape(n, cIn, hw, hw, cOut, k, k, stride, stride, k / 2, k / 2, 1, 1, 1);
    }

    @Test
    void resnetGeometries() {
        Random r = new Random(41);
        check(r, shape(3, 64, 8, 64, 3, 1), null);    // CIFAR stage 3: the wide tile
        check(r, shape(2, 32, 16, 64, 3, 2), null);   // into stage 3, stride 2
        check(r, shape(3, 32, 16, 32, 3, 1), null);   // CIFAR stage 2: the narrow tile (512-bit vectors)
        check(r, shape(1, 64, 8, 64, 3, 1), null);    // batch 1
        check(r, shape(5, 16, 7, 4 * L, 3, 1), null); // 49 positions: several images per chunk, a partial last chunk
        check(r, shape(2, 3, 11, 2 * L, 3, 1), null); // 27 taps: the last tap block padded
        check(r, shape(2, 64, 9, 128, 3, 2), null);   // odd map, stride 2, two channel blocks
    }

    @Test
    void randomGeometries() {
        Random r = new Random(42);
        for (int i = 0; i < 40; i++) {
            int k = 1 + r.nextInt(5), kw = r.nextBoolean() ? k : 1 + r.nextInt(5);
            int sh = 1 + r.nextInt(3), sw = r.nextBoolean() ? sh : 1 + r.nextInt(3);
            int dh = r.nextInt(4) == 0 ? 2 : 1, dw = r.nextInt(4) == 0 ? 2 : 1;
            int ph = r.nextInt(k + 1), pw = r.nextInt(kw + 1);
            int cin = 1 + r.nextInt(20), cout = 2 * L * (1 + r.nextInt(4));
            int h = Math.max(1 + (k - 1) * dh - 2 * ph, 1) + r.nextInt(12);
            int w = Math.max(1 + (kw - 1) * dw - 2 * pw, 1) + r.nextInt(20);
            int n = 1 + r.nextInt(4);
            check(r, new Conv2dShape(n, cin, h, w, cout, k, kw, sh, sw, ph, pw, dh, dw, 1), null);
        }
    }

    @Test
    void fakeQuantizedInput() {
        Random r = new Random(43);
        check(r, shape(3, 64, 8, 64, 3, 1), new float[] {0.37f, 0f, 0f, 15f});
        check(r, shape(2, 32, 16, 64, 3, 2), new float[] {0.21f, -0.1f, -8f, 7f});
        check(r, shape(2, 13, 9, 2 * L, 3, 1), new float[] {0.5f, 0.25f, -2f, 1f});
    }

    @Test
    void routing() {
        assertFalse(ChannelWeightGrad.applies(shape(8, 16, 32, L, 3, 1)), "one vector of channels stays on the position tiles");
        assertFalse(ChannelWeightGrad.applies(new Conv2dShape(2, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 2)), "groups");
        if (jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512) {
            assertTrue(ChannelWeightGrad.applies(shape(8, 64, 8, 64, 3, 1)));
        }
    }
}
