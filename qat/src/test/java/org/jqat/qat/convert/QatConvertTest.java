package org.jqat.qat.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Test;

/** Qat.convert on a zoo ResNet-20: which layers, which bits, and the parameter groups. */
class QatConvertTest {

    private static CifarResNet resnet20() {
        return CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(1));
    }

    /** Names of every conv/linear of ResNet-20 option B in order. */
    private static List<String> allLayers() {
        List<String> out = new ArrayList<>();
        for (var e : resnet20().namedModules().entrySet()) {
            if (e.getValue() instanceof Conv2d || e.getValue() instanceof Linear) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    @Test
    void defaultConfigQuantizesEverythingButFirstAndLast() {
        CifarResNet fp = resnet20();
        Map<String, Tensor> before = new java.util.LinkedHashMap<>();
        fp.stateDict().forEach((k, v) -> before.put(k, v.cloneData()));
        CifarResNet q = Qat.convert(fp, QatConfig.defaults());
        Map<String, QuantLayerInfo> layers = Qat.layers(q);
        List<String> expected = new ArrayList<>(allLayers());
        assertEquals("conv1", expected.get(0));
        assertEquals("fc", expected.get(expected.size() - 1));
        expected.remove("conv1");
        expected.remove("fc");
        assertEquals(expected, new ArrayList<>(layers.keySet()));
        assertEquals(20 - 2 + 2, layers.size(), "18 block convs + 2 downsample convs");
        assertTrue(layers.containsKey("layer2.0.downsample.0"));
        assertTrue(layers.containsKey("layer3.0.downsample.0"));
        for (QuantLayerInfo info : layers.values()) {
            assertEquals("lsq", info.weightMethod());
            assertEquals(4, info.weightBits());
            assertEquals(4, info.inputBits());
            assertFalse(info.perChannel());
            assertFalse(info.signedInput(), info.name() + " reads a ReLU output");
        }
        // float model untouched: same classes, same values
        assertSame(Conv2d.class, fp.submodule("layer1.0.conv1").getClass());
        fp.stateDict().forEach((k, v) -> assertArrayEquals(before.get(k).toFloatArray(), v.toFloatArray(), k));
        assertEquals(before.keySet(), fp.stateDict().keySet());
        // weights copied, quantizer keys added with PyTorch-like names
        assertArrayEquals(fp.submodule("layer1.0.conv1").param("weight").toFloatArray(),
                q.submodule("layer1.0.conv1").param("weight").toFloatArray());
        Map<String, Tensor> sd = q.stateDict();
        assertTrue(sd.containsKey("layer1.0.conv1.weight_quantizer.step"));
        assertTrue(sd.containsKey("layer1.0.conv1.input_quantizer.step"));
        assertTrue(sd.containsKey("layer1.0.conv1.weight_quantizer.initialized"));
        assertTrue(sd.containsKey("conv1.weight") && !sd.containsKey("conv1.weight_quantizer.step"));
        // the converted model runs and trains every quantizer parameter
        Tensor x = Tensor.randn(new Rng(2), 2, 3, 8, 8);
        q.forward(x).sum().backward();
        for (var e : Qat.quantizerParameters(q).entrySet()) {
            assertNotNull(e.getValue().grad(), e.getKey());
        }
    }

    @Test
    void policiesShortcutsAndOverrides() {
        QatConfig cfg = QatConfig.builder()
                .bits(2)
                .firstLayer(LayerPolicy.EIGHT_BIT)
                .lastLayer(LayerPolicy.SAME)
                .quantizeShortcuts(false)
                .perChannelWeights(true)
                .override(LayerOverride.of("layer3.*.conv2").bits(8))
                .override(LayerOverride.of("layer1.0.conv1").skip())
                .override(LayerOverride.of("re:layer2\\.[12]\\.conv1").activationBits(0))
                .build();
        Map<String, QuantLayerInfo> layers = Qat.layers(Qat.convert(resnet20(), cfg));
        QuantLayerInfo first = layers.get("conv1");
        assertEquals(8, first.weightBits());
        assertEquals(8, first.inputBits());
        assertTrue(first.signedInput(), "the network input is signed");
        assertEquals(2, layers.get("fc").weightBits());
        assertFalse(layers.get("fc").signedInput());
        assertFalse(layers.containsKey("layer2.0.downsample.0"));
        assertFalse(layers.containsKey("layer3.0.downsample.0"));
        assertFalse(layers.containsKey("layer1.0.conv1"));
        for (int b = 0; b < 3; b++) {
            assertEquals(8, layers.get("layer3." + b + ".conv2").weightBits());
            assertEquals(8, layers.get("layer3." + b + ".conv2").inputBits());
            assertEquals(2, layers.get("layer3." + b + ".conv1").weightBits());
        }
        assertEquals(0, layers.get("layer2.1.conv1").inputBits());
        assertEquals(null, layers.get("layer2.2.conv1").inputMethod());
        assertEquals(2, layers.get("layer2.0.conv1").inputBits());
        assertTrue(layers.get("layer1.1.conv1").perChannel());
        assertEquals(20 - 1 + 0, layers.size(), "all 20 convs/fc minus layer1.0.conv1, no shortcuts");
        // an override can bring back a float-by-policy layer, and set a signed input
        Map<String, QuantLayerInfo> l2 = Qat.layers(Qat.convert(resnet20(), QatConfig.builder()
                .override(LayerOverride.of("fc").weightBits(8)).override(LayerOverride.of("layer1.*.conv1").signedInput(true)).build()));
        assertEquals(8, l2.get("fc").weightBits());
        assertEquals(4, l2.get("fc").inputBits());
        assertTrue(l2.get("layer1.0.conv1").signedInput());
        assertFalse(l2.get("layer1.0.conv2").signedInput());
        assertFalse(l2.containsKey("conv1"));
    }

    @Test
    void everyMethodConvertsAndRuns() {
        Tensor x = Tensor.randn(new Rng(5), 2, 3, 8, 8);
        for (QatMethod m : QatMethod.values()) {
            QatConfig cfg = QatConfig.builder().method(m).bits(3).firstLast(LayerPolicy.EIGHT_BIT).build();
            CifarResNet q = Qat.convert(resnet20(), cfg);
            Map<String, QuantLayerInfo> layers = Qat.layers(q);
            assertEquals(22, layers.size(), m.toString());
            assertEquals(m == QatMethod.MINMAX, layers.get("layer1.0.conv1").perChannel(), m.toString());
            Tensor y = q.forward(x);
            assertEquals(List.of(2, 10), java.util.Arrays.stream(y.shape()).boxed().toList());
            y.sum().backward();
            for (Tensor p : q.trainableParameters()) {
                assertNotNull(p.grad(), m + ": a parameter got no gradient");
            }
            String expectedIn = switch (m) {
                case LSQ -> "lsq";
                case LSQ_PLUS -> "lsq+";
                case DOREFA_PACT -> "pact";
                case MINMAX -> "minmax";
            };
            assertEquals(expectedIn, layers.get("layer1.0.conv2").inputMethod());
        }
    }

    @Test
    void paramGroupsSplitQuantizerParameters() {
        CifarResNet q = Qat.convert(resnet20(), QatConfig.defaults());
        List<ParamGroup> groups = Qat.paramGroups(q, 0.1, 5e-4, 0.01);
        assertEquals(2, groups.size());
        ParamGroup main = groups.get(0);
        ParamGroup quant = groups.get(1);
        assertEquals("main", main.name());
        assertEquals("quantizers", quant.name());
        assertEquals(0.1, main.lr());
        assertEquals(5e-4, main.weightDecay());
        assertEquals(0.01, quant.lr());
        assertEquals(0.0, quant.weightDecay());
        Map<String, Tensor> qp = Qat.quantizerParameters(q);
        assertEquals(2 * 20, qp.size(), "a weight step and an input step for each of the 20 quantized layers");
        assertTrue(qp.keySet().stream().allMatch(k -> k.endsWith(".step")));
        assertEquals(qp.size(), quant.params().size());
        assertEquals(q.trainableParameters().size(), main.params().size() + quant.params().size());
        java.util.Set<Tensor> inQuant = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        inQuant.addAll(quant.params());
        for (Tensor t : main.params()) {
            assertFalse(inQuant.contains(t));
        }
        Module layer = q.submodule("layer1.0.conv1");
        assertTrue(main.params().stream().anyMatch(t -> t == layer.param("weight")));
    }
}
