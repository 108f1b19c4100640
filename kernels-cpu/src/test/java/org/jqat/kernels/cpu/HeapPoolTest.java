package org.jqat.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

class HeapPoolTest {

    @Test
    void aClosedStorageIsReusedZeroed() {
        HeapPool pool = new HeapPool(1 << 20);
        HeapStorage a = pool.allocate(100);
        float[] arr = a.data();
        arr[7] = 3f;
        a.close(); // no tensor holds it: freed, back to the pool
        HeapStorage b = pool.allocate(100);
        assertSame(arr, b.data());
        assertEquals(0f, b.data()[7]);
        assertNotSame(arr, pool.allocate(100).data(), "one array serves one storage at a time");
        b.close();
        b.data()[3] = 5f;
        assertSame(arr, pool.allocate(100, false).data(), "an uninitialised allocation skips the zeroing");
        assertNotSame(arr, pool.allocate(99).data(), "arrays are keyed by exact length");
    }

    @Test
    void capacityBoundsWhatIsHeld() {
        HeapPool pool = new HeapPool(150);
        HeapStorage a = pool.allocate(100), b = pool.allocate(100);
        a.close();
        b.close();
        assertEquals(100, pool.heldFloats(), "the second array would pass the capacity and goes to the collector");
        HeapPool off = new HeapPool(0);
        off.allocate(10).close();
        assertEquals(0, off.heldFloats());
    }

    @Test
    void plainHeapStoragesAreNotRecycled() {
        HeapStorage user = new HeapStorage(new float[] {1, 2, 3});
        assertFalse(user.freesMemory());
        user.close();
        assertArrayEquals(new float[] {1, 2, 3}, user.data(), 0f);
        assertTrue(HeapPool.SHARED.allocate(4).freesMemory());
    }

    /** A step's tensors go back when its scope closes; a kept tensor and the inputs keep their values. */
    @Test
    void aScopeGivesItsTensorsBackAndKeepsWhatIsKept() {
        try (var backend = Backends.using(new CpuBackend())) {
            Rng rng = new Rng(3);
            Tensor x = Tensor.randn(rng, 64, 33);
            float[] xValues = x.toFloatArray();
            Tensor kept;
            Storage temporary;
            try (TensorScope step = TensorScope.open()) {
                Tensor y = x.mul(2f).relu();
                temporary = y.storage();
                kept = TensorScope.keep(x.add(1f));
            }
            assertTrue(temporary.isFreed(), "made in the scope, not kept: freed at its end");
            float[] expected = kept.toFloatArray();
            try (TensorScope next = TensorScope.open()) {
                for (int i = 0; i < 4; i++) {
                    x.mul(-5f).add(7f); // same sizes: reuses the freed arrays
                }
            }
            assertArrayEquals(expected, kept.toFloatArray(), 0f, "a kept tensor is never handed out again");
            assertArrayEquals(xValues, x.toFloatArray(), 0f, "a tensor made outside the scope is untouched");
        }
    }
}
