package org.jqat.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Device;
import org.jqat.nn.optim.SGD;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Who frees device memory, on the host: the dry-run device keeps "GPU" memory on the heap, so the
 * caching allocator's live-block counters show exactly when blocks come back. Nothing here
 * calls the garbage collector: memory must come back through closing and scopes alone.
 */
class DeviceMemoryTest {
    private final CudaBackend cuda = new CudaBackend();
    private CudaDryRun dry;

    @BeforeEach
    void install() {
        dry = CudaDryRun.install(64L << 20);
    }

    @AfterEach
    void uninstall() {
        dry.close();
    }

    private long live() {
        return cuda.allocatorStats().liveBlocks();
    }

    @Test
    void closingAViewOrAnAliasNeverFreesSharedMemory() {
        float[] values = {1, 2, 3, 4, 5, 6};
        long base = live();
        Tensor x = Tensor.of(values, 2, 3).to(Device.CUDA);
        assertEquals(base + 1, live());
        Tensor view = x.transpose(0, 1);
        Tensor alias = x.to(Device.CUDA);
        assertNotSame(x, alias);
        view.close();
        alias.close();
        assertEquals(base + 1, live(), "a view and an alias were closed; the storage is still x's");
        assertArrayEquals(values, x.toFloatArray());
        Tensor onHost = x.to(Device.CPU);
        x.close();
        assertEquals(base, live(), "the last tensor over the storage was closed");
        assertArrayEquals(values, onHost.toFloatArray());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> x.add(x));
        assertTrue(e.getMessage().contains("used after close()"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> view.reshape(6));
    }

    @Test
    void aStepScopeReturnsEveryIntermediateWithoutTheCollector() {
        Tensor w = TensorScope.keep(Tensor.rand(new org.jqat.core.Rng(1), 8, 3, 3, 3).to(Device.CUDA)).requiresGrad(true);
        Tensor fc = TensorScope.keep(Tensor.rand(new org.jqat.core.Rng(2), 10, 8).to(Device.CUDA)).requiresGrad(true);
        Tensor images = Tensor.rand(new org.jqat.core.Rng(3), 4, 3, 16, 16);
        int[] labels = {1, 3, 5, 7};
        SGD opt = new SGD(List.of(w, fc), 0.1, 0.9, 5e-4, true);
        long[] liveAfter = new long[6];
        long[] mallocs = new long[6];
        for (int step = 0; step < 6; step++) {
            try (TensorScope scope = TensorScope.open()) {
                Tensor x = images.to(Device.CUDA);
                Tensor y = Functional.conv2d(x, w, null, new int[] {1}, new int[] {1}, new int[] {1}, 1).relu();
                Tensor loss = Functional.crossEntropy(Functional.linear(Functional.globalAvgPool2d(y).reshape(4, 8), fc, null), labels);
                loss.item();
                loss.backward();
                opt.step();
                opt.zeroGrad();
                assertTrue(scope.pending() > 10, "the step made " + scope.pending() + " tensors");
            }
            liveAfter[step] = live();
            mallocs[step] = cuda.allocatorStats().deviceAllocations();
        }
        // parameters (2) and their momentum buffers (2, made in step 1 and kept by the optimizer)
        assertEquals(4, liveAfter[0], "live blocks after one step: " + cuda.allocatorStats());
        for (int s = 1; s < 6; s++) {
            assertEquals(liveAfter[0], liveAfter[s], "step " + (s + 1) + " left blocks behind");
            assertEquals(mallocs[1], mallocs[s], "steady-state steps must reuse cached blocks (cuMemAlloc calls grew)");
        }
        assertFalse(w.isClosed());
        w.toFloatArray(); // still usable
        w.close();
        fc.close();
        opt.stateDict().values().forEach(Tensor::close);
    }

    @Test
    void fakeQuantMasksAreReleasedWithoutTheCollector() {
        Tensor x = Tensor.rand(new org.jqat.core.Rng(4), 4, 1000).to(Device.CUDA).requiresGrad(true);
        Tensor step = Tensor.of(0.1f).to(Device.CUDA);
        long base = live();
        try (var ng = org.jqat.core.Autograd.noGrad()) {
            Tensor y = Functional.fakeQuantize(x, step, null, -1, -8, 7, 1f, true);
            assertEquals(base + 1, live(), "no graph: the mask is released at once, only y remains");
            y.close();
        }
        try (TensorScope scope = TensorScope.open()) {
            Tensor y = Functional.fakeQuantize(x, step, null, -1, -8, 7, 1f, true);
            assertEquals(base + 2, live(), "y and the mask saved for backward");
            y.sum().backward();
        }
        x.setGrad(null); // the gradient was made in the scope, and closed with it
        assertEquals(base, live(), "y, its mask and the gradients came back with the step");
        try (TensorScope scope = TensorScope.open()) {
            Functional.fakeQuantize(x, step, null, -1, -8, 7, 1f, true); // a graph whose backward never runs
        }
        assertEquals(base, live(), "the scope released y and its mask");
    }

    @Test
    void escapingATensorFromAScopeFailsLoudlyOnUse() {
        Tensor leaked;
        try (TensorScope scope = TensorScope.open()) {
            leaked = Tensor.ones(3).to(Device.CUDA).mul(2f);
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, leaked::toFloatArray);
        assertTrue(e.getMessage().contains("used after close()"), e.getMessage());
    }

    @Test
    void outOfMemoryEmptiesTheCacheThenFailsNamingWhatIsLive() {
        dry.close();
        dry = CudaDryRun.install(8L << 20);
        Tensor big = Tensor.zeros(6 << 18).to(Device.CUDA); // 6 MiB
        big.close(); // back to the cache, still held from the driver
        assertEquals(1, cuda.allocatorStats().cachedBlocks());
        long frees = cuda.allocatorStats().deviceFrees();
        Tensor four = Tensor.zeros(4 << 18).to(Device.CUDA); // 4 MiB fits only once the cache is returned
        assertEquals(frees + 1, cuda.allocatorStats().deviceFrees());
        CudaOutOfMemoryException e = assertThrows(CudaOutOfMemoryException.class, () -> Tensor.zeros(6 << 18).to(Device.CUDA));
        assertTrue(e.getMessage().startsWith("CUDA out of memory: cannot allocate 6.0 MiB"), e.getMessage());
        assertTrue(e.getMessage().contains("1 live blocks hold 4.0 MiB"), e.getMessage());
        four.close();
    }
}
