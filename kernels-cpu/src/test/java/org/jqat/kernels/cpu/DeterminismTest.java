package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;

import java.util.Random;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapBitMask;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

/** Parallel kernels with reductions must give bit-identical results when run twice. */
class DeterminismTest {

    @Test
    void parallelReductionsAreReproducible() {
        Random r = new Random(61);
        Conv2dShape s = new Conv2dShape(16, 8, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        float[] x = randn(r, 16 * 8 * 256), gy = randn(r, 16 * 16 * 256);
        float[][] gw = new float[2][];
        for (int t = 0; t < 2; t++) {
            Storage out = new HeapStorage(s.weightSize());
            CPU.conv2dBackwardWeight(s, storage(x), storage(gy), out);
            gw[t] = data(out);
        }
        assertBitExact(gw[0], gw[1], "conv weight grad");

        int n = 300_001;
        float[] v = randn(r, n), g = randn(r, n);
        FakeQuantShape fq = FakeQuantShape.perTensor(n, -8, 7, 1f, true);
        float[][] gs = new float[2][];
        for (int t = 0; t < 2; t++) {
            HeapBitMask m = new HeapBitMask(n);
            CPU.fakeQuantize(fq, storage(v), storage(new float[] {0.2f}), null, new HeapStorage(n), m);
            Storage out = new HeapStorage(1);
            CPU.fakeQuantizeBackward(fq, storage(v), storage(g), storage(new float[] {0.2f}), null, m, null, out, null);
            gs[t] = data(out);
        }
        assertBitExact(gs[0], gs[1], "fake-quant step grad");
    }
}
