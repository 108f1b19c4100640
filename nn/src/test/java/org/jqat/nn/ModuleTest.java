package org.jqat.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.SafetensorsWriter;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Dropout;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.ReLU;
import org.jqat.nn.layers.ReLU6;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registration, traversal, modes, freezing, copies and state-dict round trips. */
class ModuleTest {

    private static Sequential small(Rng rng) {
        return new Sequential(new Conv2d(2, 3, 3, 1, 1, true, rng), new BatchNorm2d(3), new ReLU(), new Flatten(),
                new Linear(3 * 4 * 4, 2, rng));
    }

    @Test
    void namesFollowPyTorch() {
        Sequential m = small(new Rng(1));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"), List.copyOf(m.namedParameters().keySet()));
        assertEquals(List.of("1.running_mean", "1.running_var"), List.copyOf(m.namedBuffers().keySet()));
        assertEquals(List.of("", "0", "1", "2", "3", "4"), List.copyOf(m.namedModules().keySet()));
        assertEquals(List.of("0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "4.weight", "4.bias"),
                List.copyOf(m.stateDict().keySet()));
    }

    @Test
    void modesAndFreezing() {
        CifarResNet m = CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(2));
        m.eval();
        assertTrue(m.namedModules().values().stream().noneMatch(Module::isTraining));
        m.train();
        assertTrue(m.namedModules().values().stream().allMatch(Module::isTraining));
        m.freeze();
        assertTrue(m.parameters().stream().noneMatch(Tensor::requiresGrad));
        assertTrue(m.trainableParameters().isEmpty());
        m.unfreeze();
        assertEquals(m.parameters().size(), m.trainableParameters().size());
    }

    @Test
    void defaultInitIsPyTorchs() {
        Conv2d c = new Conv2d(4, 8, 3, 1, 1, true, new Rng(3));
        double bound = 1 / Math.sqrt(4 * 9);
        float max = 0;
        for (float v : c.weight().toFloatArray()) {
            max = Math.max(max, Math.abs(v));
        }
        assertTrue(max <= bound && max > 0.8 * bound, "weight bound " + max + " vs " + bound);
        for (float v : c.bias().toFloatArray()) {
            assertTrue(Math.abs(v) <= bound);
        }
        // Kaiming normal fan-out in the ResNets: std sqrt(2 / (64*9)) for layer3 convs.
        float[] w = CifarResNet.resnet56(CifarResNet.Shortcut.A, new Rng(4)).namedParameters().get("layer3.5.conv2.weight").toFloatArray();
        double ss = 0;
        for (float v : w) {
            ss += v * v;
        }
        assertEquals(Math.sqrt(2.0 / (64 * 9)), Math.sqrt(ss / w.length), 0.003);
    }

    @Test
    void copyIsDeepAndIndependent() {
        Rng rng = new Rng(5);
        Sequential m = small(rng);
        m.eval();
        Sequential c = m.copy();
        assertFalse(c.isTraining());
        Tensor x = Tensor.randn(rng, 2, 2, 4, 4);
        try (var ng = Autograd.noGrad()) {
            assertArrayEquals(m.forward(x).toFloatArray(), c.forward(x).toFloatArray());
            c.namedParameters().get("0.weight").fill_(0f);
        }
        assertNotEquals(0f, m.namedParameters().get("0.weight").get(0, 0, 0, 0));
        assertTrue(c.namedParameters().get("0.weight").requiresGrad());
        c.freeze();
        assertTrue(m.namedParameters().get("0.weight").requiresGrad());
        assertNotEquals(m.child("4"), c.child("4"));
    }

    @Test
    void stateDictRoundTripThroughSafetensors(@TempDir Path dir) {
        Rng rng = new Rng(6);
        CifarResNet a = CifarResNet.resnet20(CifarResNet.Shortcut.B, rng);
        a.train();
        a.forward(Tensor.randn(rng, 2, 3, 8, 8)); // moves the running statistics away from their init
        SafetensorsWriter w = new SafetensorsWriter();
        a.stateDict().forEach((k, t) -> w.add(k, t.toFloatArray(), t.shape()));
        Path file = dir.resolve("resnet20.safetensors");
        w.write(file);
        CifarResNet b = CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(99));
        Map<String, Tensor> loaded = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String n : f.names()) {
                loaded.put(n, Tensor.of(f.get(n).toFloatArray(), f.get(n).shape()));
            }
        }
        assertTrue(b.loadStateDict(loaded, true).isClean());
        a.stateDict().forEach((k, t) -> assertArrayEquals(t.toFloatArray(), b.stateDict().get(k).toFloatArray(), k));
        Tensor x = Tensor.randn(rng, 1, 3, 8, 8);
        a.eval();
        b.eval();
        try (var ng = Autograd.noGrad()) {
            assertArrayEquals(a.forward(x).toFloatArray(), b.forward(x).toFloatArray());
        }
    }

    @Test
    void dropoutIsInvertedSeededAndIdentityInEval() {
        Dropout d = new Dropout(0.5f, new Rng(7));
        Tensor x = Tensor.ones(1000);
        float[] y = d.forward(x).toFloatArray();
        int zeros = 0;
        for (float v : y) {
            assertTrue(v == 0f || v == 2f);
            zeros += v == 0f ? 1 : 0;
        }
        assertTrue(zeros > 400 && zeros < 600, "zeros " + zeros);
        assertArrayEquals(y, new Dropout(0.5f, new Rng(7)).forward(x).toFloatArray());
        d.eval();
        assertSame(x, d.forward(x));
    }

    @Test
    void relu6Clamps() {
        assertArrayEquals(new float[] {0, 0, 3, 6}, new ReLU6().forward(Tensor.of(-1f, 0f, 3f, 7f)).toFloatArray());
    }

    @Test
    void trainModeUpdatesRunningStatsEvalDoesNot() {
        BatchNorm2d bn = new BatchNorm2d(2, 1e-5f, 0.5f);
        Tensor x = Tensor.of(new float[] {1, 3, 0, 0, 5, 7, 0, 0}, 2, 2, 2, 1);
        bn.forward(x);
        // Channel 0 holds 1, 3, 5, 7: mean 4, unbiased variance 20/3.
        assertEquals(2f, bn.runningMean().get(0), 1e-6);
        assertEquals(0.5f + 0.5f * 20f / 3f, bn.runningVar().get(0), 1e-5);
        bn.eval();
        bn.forward(x);
        assertEquals(2f, bn.runningMean().get(0), 1e-6);
        assertNull(bn.weight().grad());
    }
}
