package org.jqat.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Forward results of tensor ops on hand-checked values, and the errors for bad shapes. */
class TensorTest {

    @Test
    void factories() {
        assertArrayEquals(new float[] {0, 0, 0, 0}, Tensor.zeros(2, 2).toFloatArray());
        assertArrayEquals(new float[] {7, 7}, Tensor.full(7f, 2).toFloatArray());
        assertArrayEquals(new float[] {1, 1, 1}, Tensor.ones(3).toFloatArray());
        assertArrayEquals(new float[] {0, 1, 2}, Tensor.arange(3).toFloatArray());
        assertArrayEquals(new float[] {1, 1.5f, 2, 2.5f}, Tensor.arange(1, 3, 0.5).toFloatArray());
        assertEquals(0, Tensor.scalar(5f).dim());
        assertEquals(5f, Tensor.scalar(5f).item());
        assertArrayEquals(Tensor.randn(new Rng(7), 10).toFloatArray(), Tensor.randn(new Rng(7), 10).toFloatArray());
        float[] u = Tensor.rand(new Rng(1), 1000).toFloatArray();
        for (float v : u) {
            assertTrue(v >= 0 && v < 1);
        }
        double mean = 0;
        double sq = 0;
        for (float v : Tensor.randn(new Rng(2), 20000).toFloatArray()) {
            mean += v;
            sq += v * v;
        }
        assertEquals(0, mean / 20000, 0.03);
        assertEquals(1, sq / 20000, 0.05);
    }

    @Test
    void constantTensorsRefuseInPlaceWrites() {
        Tensor w = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        w.fill_(5f);
        w.storage().markConstant();
        assertTrue(w.storage().isConstant());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.fill_(0f));
        assertTrue(e.getMessage().contains("constant"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> w.copyFrom_(Tensor.zeros(2, 2)));
        assertArrayEquals(new float[] {5, 5, 5, 5}, w.toFloatArray());
        // ops that make new tensors from it are fine
        assertArrayEquals(new float[] {10, 10, 10, 10}, w.add(w).toFloatArray());
    }

    @Test
    void broadcastingArithmetic() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(10f, 20f, 30f);
        assertArrayEquals(new float[] {11, 22, 33, 14, 25, 36}, a.add(b).toFloatArray());
        Tensor col = Tensor.of(new float[] {2, 3}, 2, 1);
        assertArrayEquals(new float[] {2, 4, 6, 12, 15, 18}, a.mul(col).toFloatArray());
        assertArrayEquals(new int[] {2, 2, 3}, Tensor.zeros(2, 1, 3).add(Tensor.zeros(2, 1)).shape());
        assertArrayEquals(new float[] {0, 1, 1}, Tensor.of(1f, 2f, 3f).gt(Tensor.of(1f)).toFloatArray());
    }

    @Test
    void shapeMismatchNamesOpAndBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(2, 3).add(Tensor.zeros(4)));
        assertTrue(e.getMessage().contains("add") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).matmul(Tensor.zeros(4, 2)));
        assertTrue(e.getMessage().contains("matmul") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Functional.conv2d(Tensor.zeros(1, 3, 5, 5), Tensor.zeros(2, 4, 3, 3), null, 1, 1));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("[1, 3, 5, 5]") && e.getMessage().contains("[2, 4, 3, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 3).reshape(4, 2));
        assertTrue(e.getMessage().contains("reshape") && e.getMessage().contains("[2, 3]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Functional.linear(Tensor.zeros(2, 3), Tensor.zeros(4, 5), null));
        assertTrue(e.getMessage().contains("linear") && e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 5]"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> Functional.crossEntropy(Tensor.zeros(2, 3), new int[] {0, 3}));
    }

    @Test
    void unaryOps() {
        Tensor x = Tensor.of(-1.5f, -0.5f, 0.5f, 1.5f, 2.5f);
        assertArrayEquals(new float[] {-2, -0f, 0, 2, 2}, x.round().toFloatArray(), "round half to even");
        assertArrayEquals(new float[] {0, 0, 0.5f, 1.5f, 2.5f}, x.relu().toFloatArray());
        assertArrayEquals(new float[] {-1, -0.5f, 0.5f, 1, 1}, x.clamp(-1, 1).toFloatArray());
        assertArrayEquals(new float[] {1.5f, 0.5f, 0.5f, 1.5f, 2.5f}, x.abs().toFloatArray());
        assertEquals((float) Math.tanh(0.5), x.tanh().get(2), 1e-7);
        assertEquals((float) (1 / (1 + Math.exp(-1.5))), x.sigmoid().get(3), 1e-7);
    }

    @Test
    void reductions() {
        Tensor x = Tensor.arange(24).reshape(2, 3, 4);
        assertEquals(276f, x.sum().item());
        assertArrayEquals(new float[] {12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34}, x.sum(0, false).toFloatArray());
        assertArrayEquals(new int[] {2, 1, 4}, x.sum(1, true).shape());
        assertArrayEquals(new float[] {60, 66, 72, 78}, x.sum(new int[] {0, 1}, false).toFloatArray());
        assertArrayEquals(new float[] {66, 210}, x.sum(new int[] {1, 2}, false).toFloatArray());
        // Non-adjacent axes go through a permuted copy.
        assertArrayEquals(new float[] {60, 92, 124}, x.sum(new int[] {0, 2}, false).toFloatArray());
        assertArrayEquals(new float[] {11.5f}, new float[] {x.mean().item()});
        assertArrayEquals(new float[] {20, 21, 22, 23}, x.max(new int[] {0, 1}, false).toFloatArray());
        assertArrayEquals(new float[] {3, 3, 3, 3, 3, 3}, x.argmax(2, false).toFloatArray());
        Tensor v = Tensor.of(1f, 2f, 3f, 4f);
        assertEquals(5f / 3f, v.var(new int[0], true, false).item(), 1e-6);
        assertEquals(1.25f, v.var(new int[0], false, false).item(), 1e-6);
        assertArrayEquals(new float[] {1, 0}, Tensor.of(new float[] {1, 5, 2, 5, 1, 2}, 2, 3).argmax(1, false).toFloatArray(),
                "first maximum wins");
        // As in PyTorch, NaN is the maximum: argmax points at the (first) NaN that max returns.
        Tensor withNan = Tensor.of(new float[] {1, Float.NaN, 9, Float.NaN, 0, 2, Float.NaN, 7}, 2, 4);
        assertArrayEquals(new float[] {1, 2}, withNan.argmax(1, false).toFloatArray());
        float[] max = withNan.max(new int[] {1}, false).toFloatArray();
        assertTrue(Float.isNaN(max[0]) && Float.isNaN(max[1]));
    }

    @Test
    void views() {
        Tensor x = Tensor.arange(12).reshape(3, 4);
        Tensor t = x.t();
        assertFalse(t.isContiguous());
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.toFloatArray());
        assertThrows(IllegalArgumentException.class, () -> t.view(12));
        assertArrayEquals(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, t.reshape(12).toFloatArray());
        assertArrayEquals(new float[] {1, 3, 5, 7, 9, 11}, x.slice(1, 1, 4, 2).toFloatArray());
        assertArrayEquals(new float[] {8, 9, 10, 11}, x.slice(0, -1, 3).toFloatArray());
        assertArrayEquals(new int[] {0, 4}, x.slice(0, 5, 9).shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 0, 1, 2, 3}, x.slice(0, 0, 1).expand(2, 4).toFloatArray());
        Tensor p = Tensor.arange(24).reshape(2, 3, 4).permute(2, 0, 1);
        assertArrayEquals(new int[] {4, 2, 3}, p.shape());
        assertEquals(13f, p.get(1, 1, 0));
        Tensor c = Tensor.concat(0, Tensor.of(new float[] {1, 2}, 1, 2), Tensor.of(new float[] {3, 4, 5, 6}, 2, 2));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, c.toFloatArray());
        assertArrayEquals(new float[] {1, 3, 5, 2, 4, 6},
                Tensor.concat(1, Tensor.of(new float[] {1, 2}, 2, 1), Tensor.of(new float[] {3, 5, 4, 6}, 2, 2)).toFloatArray());
    }

    @Test
    void gatherPicksAlongADimension() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor idx = Tensor.of(new float[] {2, 0, 1, 1}, 2, 2);
        assertArrayEquals(new float[] {3, 1, 5, 5}, x.gather(1, idx).toFloatArray());
        assertThrows(IndexOutOfBoundsException.class, () -> x.gather(1, Tensor.of(new float[] {3}, 1, 1)));
    }

    @Test
    void matmulAndSoftmax() {
        Tensor a = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.of(new float[] {7, 8, 9, 10, 11, 12}, 3, 2);
        assertArrayEquals(new float[] {58, 64, 139, 154}, a.matmul(b).toFloatArray());
        assertArrayEquals(new float[] {58, 64, 139, 154}, b.t().matmul(a.t()).t().contiguous().toFloatArray());
        Tensor s = Tensor.of(new float[] {1, 2, 3, 1, 1, 1}, 2, 3).softmax(1);
        float[] v = s.toFloatArray();
        assertEquals(1f, v[0] + v[1] + v[2], 1e-6);
        assertEquals(1f / 3, v[4], 1e-6);
        Tensor ls = Tensor.of(new float[] {1000, 0}, 1, 2).logSoftmax(1);
        assertEquals(0f, ls.get(0, 0), 1e-6, "log-softmax is stable for large logits");
        assertEquals(-1000f, ls.get(0, 1), 1e-3);
    }
}
