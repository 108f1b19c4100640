package org.jqat.nn.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.jqat.core.Tensor;
import org.jqat.nn.loss.CrossEntropyLoss;
import org.jqat.nn.loss.DistillationLoss;
import org.jqat.nn.loss.MSELoss;
import org.junit.jupiter.api.Test;

/** Loss wrappers and the parameter-free layers. */
class LossAndLayerTest {

    @Test
    void crossEntropyWithLabelSmoothing() {
        Tensor logits = Tensor.of(new float[] {2f, 0f, -1f}, 1, 3);
        double lse = Math.log(Math.exp(2) + Math.exp(0) + Math.exp(-1));
        double eps = 0.2;
        // (1-ε)·(−log p_target) + ε/C·Σ(−log p_c), target 0.
        double want = (1 - eps) * (lse - 2) + eps / 3 * ((lse - 2) + (lse - 0) + (lse + 1));
        assertEquals(want, new CrossEntropyLoss((float) eps).forward(logits, new int[] {0}).item(), 1e-5);
        assertEquals(lse - 2, new CrossEntropyLoss().forward(logits, new int[] {0}).item(), 1e-5);
    }

    @Test
    void distillationDoesNotTrainTheTeacher() {
        Tensor s = Tensor.of(new float[] {1f, 2f, 0.5f, -1f}, 2, 2).requiresGrad(true);
        Tensor t = Tensor.of(new float[] {0f, 1f, 1f, 0f}, 2, 2).requiresGrad(true);
        Tensor loss = new DistillationLoss(4f).forward(s, t);
        loss.backward();
        assertNull(t.grad());
        assertEquals(2, s.grad().size(0));
        assertEquals(0.0, new DistillationLoss(2f).forward(t.detach(), t.detach()).item(), 1e-6);
    }

    @Test
    void mse() {
        assertEquals(2.5, new MSELoss().forward(Tensor.of(1f, 2f), Tensor.of(0f, 4f)).item(), 1e-6);
    }

    @Test
    void poolingFlattenIdentity() {
        Tensor x = Tensor.arange(0, 16, 1).reshape(1, 1, 4, 4);
        assertArrayEquals(new float[] {7.5f}, new AdaptiveAvgPool2d(1).forward(x).toFloatArray());
        assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f}, new AdaptiveAvgPool2d(2).forward(x).toFloatArray());
        assertArrayEquals(new float[] {5f, 7f, 13f, 15f}, new MaxPool2d(2).forward(x).toFloatArray());
        assertArrayEquals(new int[] {1, 16}, new Flatten().forward(x).shape());
        assertEquals(x, new Identity().forward(x));
    }
}
