package org.jqat.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqat.core.backend.Device;
import org.jqat.core.backend.Storage;
import org.junit.jupiter.api.Test;

/** Storage reference counts, aliases from to(), and scopes that close a block's tensors (host memory). */
class TensorScopeTest {

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
        Tensor param = Tensor.of(1f, 2f, 3f);
        Tensor kept;
        Tensor temp;
        Tensor view;
        try (TensorScope scope = TensorScope.open()) {
            temp = param.mul(2f);
            view = param.reshape(3, 1); // a view of outside memory: its reference goes, the memory stays
            kept = TensorScope.keep(temp.add(1f));
            assertEquals(2, scope.pending());
            assertEquals(2, param.storage().references());
        }
        assertTrue(temp.isClosed());
        assertTrue(temp.storage().isFreed());
        assertTrue(view.isClosed());
        assertFalse(param.isClosed());
        assertEquals(1, param.storage().references());
        assertArrayEquals(new float[] {3f, 5f, 7f}, kept.toFloatArray());
    }

    @Test
    void nestedScopesCloseInnermostFirst() {
        Tensor outerT;
        Tensor innerT;
        try (TensorScope outer = TensorScope.open()) {
            outerT = Tensor.zeros(2);
            TensorScope inner = TensorScope.open();
            innerT = Tensor.ones(2);
            IllegalStateException e = assertThrows(IllegalStateException.class, outer::close);
            assertTrue(e.getMessage().contains("inner scope is still open"), e.getMessage());
            inner.close();
            assertTrue(innerT.isClosed());
            assertFalse(outerT.isClosed());
            assertEquals(outer, TensorScope.current());
        }
        assertTrue(outerT.isClosed());
        assertEquals(null, TensorScope.current());
    }

    @Test
    void bareStorageIsFreedByCloseButNotFromUnderATensor() {
        Storage s = Tensor.zeros(3).storage();
        IllegalStateException e = assertThrows(IllegalStateException.class, s::close);
        assertTrue(e.getMessage().contains("still held by 1 tensor"), e.getMessage());
    }
}
