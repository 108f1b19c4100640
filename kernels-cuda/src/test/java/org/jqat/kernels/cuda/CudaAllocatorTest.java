package org.jqat.kernels.cuda;

import static org.jqat.kernels.cuda.CudaTestSupport.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Device;
import org.junit.jupiter.api.Test;

/** Size classes (host-only) and the GPU leak test: live allocations return to baseline after each step's scope. */
class CudaAllocatorTest {

    @Test
    void sizeClasses() {
        assertEquals(512, CudaAllocator.sizeClass(0));
        assertEquals(512, CudaAllocator.sizeClass(4));
        assertEquals(512, CudaAllocator.sizeClass(512));
        assertEquals(1024, CudaAllocator.sizeClass(513));
        assertEquals(1L << 20, CudaAllocator.sizeClass((1L << 20) - 1));
        assertEquals(2L << 20, CudaAllocator.sizeClass(1L << 20));
        assertEquals(4L << 20, CudaAllocator.sizeClass((2L << 20) + 1));
        assertEquals(2, CudaBitMask.wordCount(1));
        assertEquals(2, CudaBitMask.wordCount(64));
        assertEquals(4, CudaBitMask.wordCount(65));
        assertEquals(0, CudaBitMask.wordCount(0));
    }

    @Test
    void coalescingMergesContiguousAxes() {
        CudaBackend.Coalesced c = CudaBackend.coalesce(new int[] {2, 3, 4}, new int[] {12, 4, 1}, new int[] {12, 4, 1});
        assertArrayEquals(new int[] {24}, c.shape());
        c = CudaBackend.coalesce(new int[] {2, 1, 3, 4}, new int[] {12, 99, 1, 3}, new int[] {12, 12, 4, 1});
        assertArrayEquals(new int[] {2, 3, 4}, c.shape());
        assertArrayEquals(new int[] {12, 1, 3}, c.strides()[0]);
        c = CudaBackend.coalesce(new int[] {4, 5}, new int[] {0, 1}, new int[] {5, 1});
        assertArrayEquals(new int[] {4, 5}, c.shape());
        int[] packed = c.packed();
        assertEquals(25, packed.length);
        assertEquals(2, packed[0]);
        assertEquals(0, CudaBackend.coalesce(new int[] {1, 1}, new int[] {7, 3}, new int[] {1, 1}).shape().length);
    }

    @Test
    void noLeakAfterTrainingLikeSteps() {
        requireGpu();
        Random r = new Random(21);
        Tensor w = Tensor.of(randn(r, 8 * 3 * 3 * 3), 8, 3, 3, 3).to(Device.CUDA).requiresGrad(true);
        Tensor fc = Tensor.of(randn(r, 10 * 8), 10, 8).to(Device.CUDA).requiresGrad(true);
        Tensor x = Tensor.of(randn(r, 4 * 3 * 16 * 16), 4, 3, 16, 16).to(Device.CUDA);
        int[] labels = {1, 3, 5, 7};
        step(w, fc, x, labels); // warm the cache
        CudaAllocator.Stats base = CUDA.allocatorStats();
        for (int i = 0; i < 20; i++) {
            step(w, fc, x, labels);
            // No collector involved: the step's scope returned every intermediate.
            assertEquals(base.liveBlocks(), CUDA.allocatorStats().liveBlocks(), "step " + (i + 2) + ": " + CUDA.allocatorStats());
        }
        CudaAllocator.Stats after = CUDA.allocatorStats();
        assertEquals(base.deviceAllocations(), after.deviceAllocations(), "steady-state steps should reuse cached blocks");
        assertTrue(after.cacheHits() > base.cacheHits(), after.toString());
        w.close();
        fc.close();
        x.close();
        CUDA.emptyCache();
        assertEquals(0, CUDA.allocatorStats().cachedBlocks());
    }

    /** conv → relu → global pool → linear → cross entropy → backward → SGD update, in a step scope. */
    private static void step(Tensor w, Tensor fc, Tensor x, int[] labels) {
        try (TensorScope scope = TensorScope.open()) {
            Tensor y = Functional.conv2d(x, w, null, new int[] {1}, new int[] {1}, new int[] {1}, 1).relu();
            Tensor logits = Functional.linear(Functional.globalAvgPool2d(y).reshape(4, 8), fc, null);
            Tensor loss = Functional.crossEntropy(logits, labels, 0f);
            loss.backward();
            try (var ng = org.jqat.core.Autograd.noGrad()) {
                w.addInPlace_(w.grad().mul(-0.01f));
                fc.addInPlace_(fc.grad().mul(-0.01f));
            }
            w.setGrad(null);
            fc.setGrad(null);
        }
    }
}
