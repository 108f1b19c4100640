package org.jqat.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqat.core.backend.Device;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

/**
 * Storage reference counts, aliases from to(), and scopes that close a block's tensors. Scopes
 * record only tensors over memory that closing gives back, so they are tested with a storage
 * that counts its frees (device memory is tested end to end in kernels-cuda's DeviceMemoryTest).
 */
class TensorScopeTest {

    /** Memory that says it is given back on free (as device memory does), counting frees. */
    static final class CountingStorage extends Storage {
        int frees;

        @Override
        public int size() {
            return 6;
        }

        @Override
        public Device device() {
            return Device.CPU;
        }

        @Override
        protected void free() {
            frees++;
        }
    }

    private static Tensor over(Storage s) {
        return Tensor.dense(s, 2, 3);
    }

    @Test
    void viewsHoldTheirOwnReference() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Storage s = x.storage();
        assertEquals(1, s.references());
        Tensor v = x.transpose(0, 1);
        Tensor r = x.reshape(3, 2);
        assertEquals(3, s.references());
        v.close();
        v.close(); // idempotent
        r.close();
        assertEquals(1, s.references());
        assertFalse(s.isFreed());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, x.toFloatArray());
        x.close();
        assertTrue(s.isFreed());
        IllegalStateException e = assertThrows(IllegalStateException.class, x::toFloatArray);
        assertTrue(e.getMessage().contains("used after close()"), e.getMessage());
        assertThrows(IllegalStateException.class, s::retain);
    }

    @Test
    void toTheSameDeviceIsAnAliasThatPassesGradients() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y = x.to(Device.CPU);
        assertNotSame(x, y);
        assertEquals(2, x.storage().references());
        x.mul(2f).add(y.mul(3f)).sum().backward();
        assertArrayEquals(new float[] {5f, 5f}, x.grad().toFloatArray());
        y.close();
        assertArrayEquals(new float[] {1f, 2f}, x.toFloatArray());
    }

    @Test
    void scopeClosesWhatItMadeExceptKeptAndOutsideTensors() {
        CountingStorage paramMemory = new CountingStorage();
        Tensor param = over(paramMemory);
        CountingStorage tempMemory = new CountingStorage();
        CountingStorage keptMemory = new CountingStorage();
        Tensor temp;
        Tensor view;
        Tensor kept;
        try (TensorScope scope = TensorScope.open()) {
            temp = over(tempMemory);
            Tensor tempView = temp.transpose(0, 1);
            view = param.reshape(3, 2); // a view of outside memory: its reference goes, the memory stays
            kept = TensorScope.keep(over(keptMemory));
            assertEquals(3, scope.pending());
            assertEquals(2, tempMemory.references());
        }
        assertTrue(temp.isClosed());
        assertEquals(1, tempMemory.frees, "made and viewed only inside: freed once");
        assertTrue(view.isClosed());
        assertFalse(param.isClosed());
        assertEquals(0, paramMemory.frees);
        assertEquals(1, paramMemory.references());
        assertFalse(kept.isClosed());
        assertEquals(0, keptMemory.frees);
        kept.close();
        assertEquals(1, keptMemory.frees);
    }

    @Test
    void adoptHandsAKeptTensorToTheOuterScope() {
        CountingStorage resultMemory = new CountingStorage();
        Tensor result;
        try (TensorScope outer = TensorScope.open()) {
            try (TensorScope inner = TensorScope.open()) {
                result = TensorScope.keep(over(resultMemory));
            }
            assertFalse(result.isClosed(), "kept out of the inner scope");
            assertSame(result, TensorScope.adopt(result));
            assertEquals(1, outer.pending());
            TensorScope.adopt(result); // already the outer scope's: recorded once
            assertEquals(1, outer.pending());
        }
        assertTrue(result.isClosed());
        assertEquals(1, resultMemory.frees);
        Tensor free = TensorScope.adopt(over(new CountingStorage())); // no scope open: stays the caller's
        assertFalse(free.isClosed());
    }

    @Test
    void heapTensorsAreNotRecorded() {
        try (TensorScope scope = TensorScope.open()) {
            Tensor t = Tensor.ones(3).mul(2f);
            assertEquals(0, scope.pending(), "heap arrays are the collector's: nothing to give back at the end");
            assertFalse(t.isClosed());
        }
    }

    @Test
    void nestedScopesCloseInnermostFirst() {
        Tensor outerT;
        Tensor innerT;
        try (TensorScope outer = TensorScope.open()) {
            outerT = over(new CountingStorage());
            TensorScope inner = TensorScope.open();
            innerT = over(new CountingStorage());
            IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(e.getMessage().contains("inner scope is still open"), e.getMessage());
            inner.close();
            assertTrue(innerT.isClosed());
            assertFalse(outerT.isClosed());
            assertSame(outer, TensorScope.current());
        }
        assertTrue(outerT.isClosed());
        assertNull(TensorScope.current());
    }

    @Test
    void bareStorageIsFreedByCloseButNotFromUnderATensor() {
        Storage s = Tensor.zeros(3).storage();
        IllegalStateException e = assertThrows(IllegalStateException.class, s::close);
        assertTrue(e.getMessage().contains("still held by 1 tensor"), e.getMessage());
        CountingStorage bare = new CountingStorage();
        bare.close();
        bare.close();
        assertEquals(1, bare.frees);
    }
}
