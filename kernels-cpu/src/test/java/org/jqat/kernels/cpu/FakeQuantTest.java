package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapBitMask;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

class FakeQuantTest {

    private static void check(Random r, FakeQuantShape s, boolean withOffset) {
        int n = s.size(), ch = s.channels();
        float[] x = randn(r, n), gy = randn(r, n);
        if (n > 3) {
            x[0] = Float.NaN;
            x[1] = Float.POSITIVE_INFINITY;
            x[2] = -0.0f;
        }
        float[] scale = new float[ch], offset = new float[ch];
        for (int c = 0; c < ch; c++) {
            scale[c] = 0.05f + r.nextFloat() * 0.3f;
            offset[c] = withOffset ? (float) r.nextGaussian() * 0.2f : 0f;
        }
        // Put some inputs exactly on half-steps so ties-to-even is exercised.
        for (int i = 3; i < n; i += 7) {
            int c = (i / s.inner()) % ch;
            x[i] = (r.nextInt(9) - 4 + 0.5f) * scale[c] + offset[c];
        }
        Storage off = withOffset ? storage(offset) : null;
        Storage ye = new HeapStorage(n), ya = new HeapStorage(n);
        HeapBitMask me = new HeapBitMask(n), ma = new HeapBitMask(n);
        java.util.Arrays.fill(ma.words(), -1L); // stale bits must be cleared
        REF.fakeQuantize(s, storage(x), storage(scale), off, ye, me);
        CPU.fakeQuantize(s, storage(x), storage(scale), off, ya, ma);
        assertBitExact(data(ye), data(ya), "fq y " + s);
        assertArrayEquals(me.words(), ma.words(), "fq mask " + s);

        Storage gxe = new HeapStorage(n), gxa = new HeapStorage(n);
        Storage gse = new HeapStorage(ch), gsa = new HeapStorage(ch), goe = new HeapStorage(ch), goa = new HeapStorage(ch);
        REF.fakeQuantizeBackward(s, storage(x), storage(gy), storage(scale), off, me, gxe, gse, goe);
        CPU.fakeQuantizeBackward(s, storage(x), storage(gy), storage(scale), off, ma, gxa, gsa, goa);
        assertBitExact(data(gxe), data(gxa), "fq gx " + s);
        double tol = sumTol(n / ch) * 10;
        assertClose(data(gse), data(gsa), tol, "fq gScale " + s);
        assertClose(data(goe), data(goa), tol, "fq gOffset " + s);

        Storage gxOnly = new HeapStorage(n);
        CPU.fakeQuantizeBackward(s, storage(x), storage(gy), storage(scale), off, ma, gxOnly, null, null);
        assertBitExact(data(gxe), data(gxOnly), "fq gx only " + s);

        // without the forward's mask (the fused conv's backward) the kernel recomputes it: same bits
        float[] gxm = new float[n], gsm = new float[ch], gom = new float[ch], gxmOnly = new float[n];
        FakeQuantKernels.backward(s, x, gy, scale, withOffset ? offset : null, null, gxm, gsm, gom);
        FakeQuantKernels.backward(s, x, gy, scale, withOffset ? offset : null, null, gxmOnly, null, null);
        assertBitExact(data(gxa), gxm, "fq gx, mask recomputed " + s);
        assertBitExact(data(gsa), gsm, "fq gScale, mask recomputed " + s);
        assertBitExact(data(goa), gom, "fq gOffset, mask recomputed " + s);
        assertBitExact(data(gxa), gxmOnly, "fq gx only, mask recomputed " + s);
    }

    @Test
    void perTensorTails() {
        Random r = new Random(31);
        for (int n : TAIL_SIZES) {
            check(r, FakeQuantShape.perTensor(n, -8, 7, 0.1f, true), false);
            check(r, FakeQuantShape.perTensor(n, 0, 15, 0.5f, false), true);
        }
        check(r, FakeQuantShape.perTensor(200_003, -128, 127, 1f, true), true); // several parallel chunks
    }

    @Test
    void perChannelLayouts() {
        Random r = new Random(32);
        check(r, new FakeQuantShape(1, 16, 27, -8, 7, 0.3f, true), false);     // weights, axis 0
        check(r, new FakeQuantShape(5, 7, 33, -2, 1, 0.3f, true), true);       // activations, axis 1
        check(r, new FakeQuantShape(3, 65, 1, -8, 7, 1f, false), true);        // inner 1
        check(r, new FakeQuantShape(2, 3, 70_001, -8, 7, 1f, true), true);     // segments crossing chunks
        check(r, new FakeQuantShape(1, 2, 40, -8_388_608f, 8_388_607f, 1f, true), false); // wide range: scalar path
    }
}
