package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.randn;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.HeapStorage;
import org.junit.jupiter.api.Test;

/**
 * Constant weights ({@code Storage.markConstant}) are packed once and the packing kept: the direct
 * convolution gives the same bits with and without it, for the row tiles (wide maps) and the channel
 * tiles (narrow maps), and a second call does not pack again.
 */
class PackedWeightsTest {
    @Test
    void constantWeightsArePackedOnceAndGiveTheSameOutput() {
        Random r = new Random(3);
        // the packings are held weakly by their weights: keep every weights array reachable while counting
        java.util.List<float[]> held = new java.util.ArrayList<>();
        // 16-wide map: row tiles; 8-wide, 64 output channels: channel tiles; an odd one with a channel tail
        for (int[] g : new int[][] {{3, 16, 16, 16, 24}, {2, 32, 8, 8, 64}, {2, 5, 9, 7, 11}}) {
            Conv2dShape s = new Conv2dShape(g[0], g[1], g[2], g[3], g[4], 3, 3, 1, 1, 1, 1, 1, 1, 1);
            float[] x = randn(r, g[0] * g[1] * g[2] * g[3]);
            float[] w = randn(r, s.weightSize());
            held.add(w);
            float[] b = randn(r, g[4]);
            float[] residual = randn(r, g[0] * g[4] * s.outH() * s.outW());
            float[] expected = new float[residual.length];
            DirectConv.forward(s, x, w, false, b, expected, null, residual, true);
            int before = PackedWeights.size();
            HeapStorage ws = new HeapStorage(w);
            ws.markConstant();
            for (int call = 0; call < 3; call++) {
                float[] y = new float[residual.length];
                Conv2dKernels.forwardFused(s, x, ws.data(), ws.isConstant(), b, residual, true, y);
                assertArrayEquals(expected, y, java.util.Arrays.toString(g) + " call " + call);
            }
            assertEquals(before + 1, PackedWeights.size(), java.util.Arrays.toString(g) + ": packed once");
        }
    }
}
