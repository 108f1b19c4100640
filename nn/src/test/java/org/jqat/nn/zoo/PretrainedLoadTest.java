package org.jqat.nn.zoo;

import org.jqat.core.testing.GoldenDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.TensorEntry;
import org.jqat.nn.LoadReport;
import org.jqat.nn.StateDictException;
import org.junit.jupiter.api.Test;

/** A PyTorch state dict (the golden ResNet-20's {@code param.*}) loads by name and reproduces PyTorch's logits. */
class PretrainedLoadTest {

    static Map<String, Tensor> prefixed(SafetensorsFile f, String prefix) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : f.names()) {
            if (n.startsWith(prefix)) {
                TensorEntry e = f.get(n);
                m.put(n.substring(prefix.length()), Tensor.of(e.toFloatArray(), e.shape()));
            }
        }
        return m;
    }

    @Test
    void loadsPyTorchResNet20AndReproducesLogits() {
        try (SafetensorsFile f = SafetensorsFile.open(GoldenDir.locate().resolve("resnet20_cifar.safetensors"))) {
            Map<String, Tensor> state = prefixed(f, "param.");
            CifarResNet model = new CifarResNet(20, 10, CifarResNet.Shortcut.B, 1e-5f, 0.1f, new Rng(1));
            assertEquals(state.keySet(), model.stateDict().keySet());
            LoadReport r = model.loadStateDict(state, true);
            assertTrue(r.isClean(), r.toString());
            model.eval();
            TensorEntry x = f.get("x");
            TensorEntry expected = f.get("logits_eval");
            float[] got;
            try (var ng = Autograd.noGrad()) {
                got = model.forward(Tensor.of(x.toFloatArray(), x.shape())).toFloatArray();
            }
            float[] want = expected.toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(want[i], got[i], 1e-3, "logit " + i);
            }
        }
    }

    @Test
    void strictLoadNamesMissingUnexpectedAndMisshapedKeys() {
        CifarResNet model = CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(2));
        Map<String, Tensor> state = new LinkedHashMap<>(model.stateDict());
        state.remove("fc.bias");
        state.put("bogus.weight", Tensor.zeros(2));
        state.put("conv1.weight", Tensor.zeros(16, 3, 5, 5));
        state.put("bn1.num_batches_tracked", Tensor.zeros(1));
        StateDictException e = assertThrows(StateDictException.class, () -> model.loadStateDict(state, true));
        assertEquals(java.util.List.of("fc.bias"), e.report().missing());
        assertEquals(java.util.List.of("bogus.weight"), e.report().unexpected());
        assertEquals(1, e.report().mismatched().size());
        assertTrue(e.report().mismatched().get(0).startsWith("conv1.weight"));
        // Lenient: loads what fits and reports the rest.
        Tensor before = model.namedParameters().get("conv1.weight").cloneData();
        state.put("layer1.0.bn1.running_mean", Tensor.full(3f, 16));
        LoadReport r = model.loadStateDict(state, false);
        assertEquals(e.report(), r);
        assertArrayEquals(before.toFloatArray(), model.namedParameters().get("conv1.weight").toFloatArray());
        assertEquals(3f, model.namedBuffers().get("layer1.0.bn1.running_mean").get(5));
    }
}
