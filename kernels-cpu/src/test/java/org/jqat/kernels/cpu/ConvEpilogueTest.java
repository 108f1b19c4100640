package org.jqat.kernels.cpu;

import static org.jqat.kernels.cpu.TestData.*;

import java.util.Arrays;
import java.util.Random;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The inference convolution with its epilogue ({@code conv2dFused}: bias, residual, ReLU applied
 * as the output is stored) against its definition: on the cpu backend bit for bit the unfused
 * conv2d, residual add and ReLU; against the scalar reference backend within summation tolerance.
 * Shapes cover every route (direct 3×3 stride 1 and 2, rows of whole vectors stored straight
 * into the output or through the padded-width tiles, 1×1 GEMM with and without subsampling,
 * depthwise, groups), odd sizes and tails, padding and batch 1.
 */
class ConvEpilogueTest {

    private static final int[][] SHAPES = {
        // n, cIn, h, w, cOut, k, stride, pad, groups
        {3, 16, 9, 9, 16, 3, 1, 1, 1},
        {1, 5, 7, 11, 13, 3, 1, 1, 1},
        {2, 8, 10, 10, 16, 3, 2, 1, 1},
        {2, 3, 13, 5, 9, 3, 2, 0, 1},
        {4, 7, 6, 6, 11, 1, 1, 0, 1},
        {2, 8, 9, 9, 12, 1, 2, 0, 1},
        {2, 6, 8, 8, 6, 3, 1, 1, 6},
        {2, 6, 8, 8, 9, 3, 1, 1, 3},
        {5, 64, 8, 8, 64, 3, 1, 1, 1},
        // rows of whole vectors (16, 32, 48 wide, for 8- and 16-lane species): tiles stored straight
        // into the output; odd vector counts, channel tails, stride 2 and groups
        {2, 5, 16, 16, 13, 3, 1, 1, 1},
        {1, 3, 15, 32, 11, 3, 1, 1, 1},
        {2, 4, 7, 48, 9, 3, 1, 1, 1},
        {2, 6, 33, 32, 10, 3, 2, 1, 1},
        {2, 8, 16, 16, 12, 3, 1, 1, 2},
        {1, 2, 17, 34, 3, 3, 1, 0, 1},
        // narrow maps with channels in multiples of 64: tiles vectorized over output channels
        {3, 64, 8, 8, 64, 3, 1, 1, 1},
        {2, 7, 5, 9, 128, 3, 1, 1, 1},
        {2, 32, 16, 14, 64, 3, 2, 1, 1},
        {1, 64, 3, 3, 64, 3, 1, 1, 1},
    };

    @Test
    void epilogueEqualsTheUnfusedOps() {
        Random r = new Random(31);
        for (int[] d : SHAPES) {
            Conv2dShape s = new Conv2dShape(d[0], d[1], d[2], d[3], d[4], d[5], d[5], d[6], d[6], d[7], d[7], 1, 1, d[8]);
            float[] x = randn(r, s.n() * s.cIn() * s.h() * s.w());
            float[] w = randn(r, s.weightSize());
            int outSize = s.n() * s.cOut() * s.outH() * s.outW();
            for (boolean withBias : new boolean[] {false, true}) {
                for (boolean withResidual : new boolean[] {false, true}) {
                    for (boolean relu : new boolean[] {false, true}) {
                        float[] b = withBias ? randn(r, s.cOut()) : null;
                        float[] res = withResidual ? randn(r, outSize) : null;
                        String what = Arrays.toString(d) + " bias " + withBias + " residual " + withResidual + " relu " + relu;

                        float[] fused = new float[outSize];
                        Arrays.fill(fused, Float.NaN); // every output must be written
                        CPU.conv2dFused(s, storage(x), storage(w), b == null ? null : storage(b),
                                res == null ? null : storage(res), relu, new HeapStorage(fused));

                        assertBitExact(unfused(CPU, s, x, w, b, res, relu), fused, "cpu " + what);
                        assertClose(unfused(REF, s, x, w, b, res, relu), fused,
                                sumTol(s.cInPerGroup() * s.kh() * s.kw()), "reference " + what);
                    }
                }
            }
        }
    }

    private static float[] unfused(org.jqat.core.backend.Backend be, Conv2dShape s, float[] x, float[] w, float[] b,
                                   float[] res, boolean relu) {
        int outSize = s.n() * s.cOut() * s.outH() * s.outW();
        float[] y = new float[outSize];
        HeapStorage ys = new HeapStorage(y);
        be.conv2d(s, storage(x), storage(w), b == null ? null : storage(b), ys);
        if (res != null) {
            be.binary(BinaryOp.ADD, new int[] {outSize}, ys, 0, new int[] {1}, storage(res), 0, new int[] {1}, ys);
        }
        if (relu) {
            be.unary(UnaryOp.RELU, ys, ys, outSize);
        }
        return y;
    }
}
