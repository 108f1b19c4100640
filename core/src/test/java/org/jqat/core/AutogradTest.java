package org.jqat.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqat.core.testing.GradCheck;
import org.junit.jupiter.api.Test;

class AutogradTest {

    @Test
    void gradientsOfSharedInputsAreSummed() {
        Tensor x = Tensor.of(1f, 2f, 3f).requiresGrad(true);
        // y = x*x + 3x, used through two paths: dy/dx = 2x + 3
        Tensor y = x.mul(x).add(x.mul(3f)).sum();
        y.backward();
        assertArrayEquals(new float[] {5, 7, 9}, x.grad().toFloatArray());
    }

    @Test
    void gradientsAccumulateAcrossBackwardCalls() {
        Tensor w = Tensor.of(2f, -1f).requiresGrad(true);
        w.mul(3f).sum().backward();
        w.mul(w).sum().backward();
        assertArrayEquals(new float[] {3 + 4, 3 - 2}, w.grad().toFloatArray());
        w.zeroGrad();
        assertNull(w.grad());
    }

    @Test
    void noGradScopeRecordsNothing() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y;
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            assertFalse(Autograd.isGradEnabled());
            y = x.mul(2f);
        }
        assertTrue(Autograd.isGradEnabled());
        assertFalse(y.requiresGrad());
        assertThrows(IllegalStateException.class, () -> y.sum().backward());
    }

    @Test
    void detachCutsTheGraph() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor y = x.mul(2f).detach().mul(x).sum();
        y.backward();
        assertArrayEquals(new float[] {2, 4}, x.grad().toFloatArray());
    }

    @Test
    void graphIsReleasedAfterBackward() {
        Tensor x = Tensor.of(1f, 2f).requiresGrad(true);
        Tensor h = x.exp();
        Tensor loss = h.sum();
        assertFalse(loss.isLeaf());
        loss.backward();
        // Every node (and the tensors its closure saved) is dropped, so memory does not grow;
        // a second pass over the freed graph fails loudly.
        IllegalStateException e = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(e.getMessage().contains("already released"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> h.mul(2f).sum().backward());
    }

    @Test
    void inPlaceOnRecordedParameterIsRefused() {
        Tensor w = Tensor.of(1f, 2f).requiresGrad(true);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.addInPlace_(Tensor.of(1f, 1f)));
        assertTrue(e.getMessage().contains("noGrad"), e.getMessage());
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            w.addInPlace_(Tensor.of(1f, 1f));
        }
        assertArrayEquals(new float[] {2, 3}, w.toFloatArray());
    }

    @Test
    void deepChainsDoNotOverflowTheStack() {
        Tensor x = Tensor.of(1f).requiresGrad(true);
        Tensor y = x;
        for (int i = 0; i < 20_000; i++) {
            y = y.add(0f);
        }
        y.sum().backward();
        assertEquals(1f, x.grad().item());
    }

    @Test
    void gradCheckCatchesAWrongBackward() {
        Tensor x = Tensor.of(0.5f, 1.5f).requiresGrad(true);
        // square with the factor 2 forgotten in its backward
        AssertionError e = assertThrows(AssertionError.class, () -> GradCheck.check("broken square", t -> {
            Tensor in = t[0];
            Tensor out;
            try (Autograd.NoGrad ignored = Autograd.noGrad()) {
                out = in.mul(in);
            }
            return Autograd.record("brokenSquare", out, g -> new Tensor[] {g.mul(in)}, in);
        }, x));
        assertTrue(e.getMessage().contains("broken square"));
    }
}
