package org.jqat.nn.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.ReLU;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.nn.zoo.ResNet;
import org.junit.jupiter.api.Test;

class InferenceTest {

    /** Training-mode passes without gradients give every batch norm non-trivial statistics; then eval. */
    private static <M extends Module> M settled(M model, Rng rng, int... inputShape) {
        model.train();
        try (var ng = Autograd.noGrad()) {
            for (int i = 0; i < 3; i++) {
                model.forward(Tensor.randn(rng, inputShape));
            }
        }
        model.eval();
        return model;
    }

    private static float[] evalForward(Module model, Tensor x) {
        try (var ng = Autograd.noGrad()) {
            return model.forward(x).toFloatArray();
        }
    }

    private static void assertSameOutputs(Module model, int... inputShape) {
        Tensor x = Tensor.randn(new Rng(5), inputShape);
        float[] expected = evalForward(model, x);
        float[] actual = Inference.optimize(model).forward(x).toFloatArray();
        double scale = 1;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 2e-5 * scale, "output " + i);
        }
    }

    @Test
    void cifarResNetsGiveTheEvalModelsOutputs() {
        for (CifarResNet.Shortcut sc : CifarResNet.Shortcut.values()) {
            assertSameOutputs(settled(new CifarResNet(8, sc, new Rng(1)), new Rng(2), 4, 3, 16, 16), 3, 3, 16, 16);
        }
    }

    @Test
    void bottleneckResNetGivesTheEvalModelsOutputs() {
        assertSameOutputs(settled(new ResNet(true, new int[] {1, 1}, 10, new Rng(3)), new Rng(4), 2, 3, 32, 32), 2, 3, 32, 32);
    }

    @Test
    void convBatchNormReluRunsOfASequentialAreFolded() {
        Rng rng = new Rng(6);
        Sequential seq = new Sequential(new Conv2d(3, 8, 3, 1, 1, true, rng), new BatchNorm2d(8), new ReLU(),
                new Conv2d(8, 4, 3, 2, 1, false, rng), new BatchNorm2d(4), new Flatten(), new Linear(4 * 4 * 4, 5, rng));
        settled(seq, new Rng(7), 4, 3, 8, 8);
        assertSameOutputs(seq, 3, 3, 8, 8);
        Module body = Inference.optimize(seq).child("model");
        assertInstanceOf(FoldedConv.class, body.child("0"));
        assertTrue(((FoldedConv) body.child("0")).relu());
        assertInstanceOf(FoldedConv.class, body.child("3"));
        assertFalse(((FoldedConv) body.child("3")).relu());
        assertFalse(body.hasChild("1") || body.hasChild("2") || body.hasChild("4"), "batch norms and ReLUs are gone: " + body);
    }

    @Test
    void aReplacedLayerIsNotFoldedAndStillRuns() {
        Rng rng = new Rng(8);
        Conv2d custom = new Conv2d(3, 4, 3, 1, 1, false, rng) {
            @Override
            public Tensor forward(Tensor x) {
                return super.forward(x).mul(2f); // not a plain convolution: folding would change it
            }
        };
        Sequential seq = new Sequential(custom, new BatchNorm2d(4), new ReLU());
        settled(seq, new Rng(9), 2, 3, 6, 6);
        assertSameOutputs(seq, 2, 3, 6, 6);
        assertFalse(Inference.optimize(seq).child("model").child("0") instanceof FoldedConv);
    }

    @Test
    void chunkingDoesNotChangeAnyImagesResult() {
        CifarResNet model = settled(new CifarResNet(8, CifarResNet.Shortcut.A, new Rng(10)), new Rng(11), 4, 3, 8, 8);
        InferenceModel fast = Inference.optimize(model);
        Tensor x = Tensor.randn(new Rng(12), 7, 3, 8, 8);
        float[] whole = fast.chunk(Integer.MAX_VALUE).forward(x).toFloatArray();
        for (int chunk : new int[] {1, 3, 7}) {
            assertArrayEquals(whole, fast.chunk(chunk).forward(x).toFloatArray(), "chunks of " + chunk);
        }
        assertThrows(IllegalArgumentException.class, () -> fast.chunk(0));
    }

    @Test
    void theOriginalModelIsUntouchedAndTheResultCannotTrain() {
        CifarResNet model = settled(new CifarResNet(8, CifarResNet.Shortcut.B, new Rng(13)), new Rng(14), 2, 3, 8, 8);
        model.train();
        Map<String, Tensor> before = model.stateDict();
        Map<String, float[]> values = new java.util.HashMap<>();
        before.forEach((k, v) -> values.put(k, v.toFloatArray()));
        InferenceModel fast = Inference.optimize(model);
        assertTrue(model.isTraining(), "optimize must not switch the original to eval");
        model.stateDict().forEach((k, v) -> assertArrayEquals(values.get(k), v.toFloatArray(), k));
        assertFalse(fast.isTraining());
        assertThrows(UnsupportedOperationException.class, fast::train);
        fast.eval(); // allowed: it is always in eval mode
    }

    @Test
    void foldingRejectsAMismatchedBatchNorm() {
        Conv2d conv = new Conv2d(3, 4, 3, 1, 1, false, new Rng(15));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FoldedConv.of(conv, new BatchNorm2d(5), false));
        assertTrue(e.getMessage().contains("5-channel"), e.getMessage());
    }
}
