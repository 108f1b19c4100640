package org.jqat.nn.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsWriter;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key mapping (module. prefix, user renames, built-in layouts) and strict loading from safetensors in PyTorch layout. */
class StateDictImportTest {

    private static Map<String, Tensor> keys(String... names) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, Tensor.zeros(1));
        }
        return m;
    }

    @Test
    void renamesApplyToWholeDottedPrefixes() {
        StateDictImport.Rename r = StateDictImport.Rename.parse("linear=fc");
        assertEquals("fc.weight", r.apply("linear.weight"));
        assertEquals("linear2.weight", r.apply("linear2.weight"));
        assertEquals("fc", r.apply("linear"));
        assertEquals("conv1.weight", StateDictImport.Rename.parse("backbone=").apply("backbone.conv1.weight"));
        assertThrows(IllegalArgumentException.class, () -> StateDictImport.Rename.parse("linear"));
        assertThrows(IllegalArgumentException.class, () -> StateDictImport.Rename.parse("=fc"));
    }

    @Test
    void stripsDataParallelThenRenamesThenFillsInKnownLayouts() {
        List<String> renamed = new ArrayList<>();
        Map<String, Tensor> out = StateDictImport.mapKeys(keys("module.conv1.weight", "module.linear.weight", "module.head.bias"),
                Set.of("conv1.weight", "fc.weight", "classifier.bias"), List.of(StateDictImport.Rename.parse("head=classifier")), renamed);
        assertEquals(List.of("conv1.weight", "fc.weight", "classifier.bias"), List.copyOf(out.keySet()));
        assertEquals(List.of("module.conv1.weight -> conv1.weight", "module.linear.weight -> fc.weight",
                "module.head.bias -> classifier.bias"), renamed);
        // A model that has its own 'linear' keeps it: built-in mappings only fill in missing names.
        assertEquals(List.of("linear.weight"), List.copyOf(StateDictImport.mapKeys(keys("linear.weight"), Set.of("linear.weight", "fc.weight"),
                List.of(), null).keySet()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StateDictImport.mapKeys(keys("module.fc.weight", "fc.weight"), Set.of("fc.weight"), List.of(), null));
        assertTrue(e.getMessage().contains("both map to 'fc.weight'"), e.getMessage());
    }

    @Test
    void loadsAPyTorchLayoutSafetensorsFileStrictly(@TempDir Path dir) {
        CifarResNet source = CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(3));
        SafetensorsWriter w = new SafetensorsWriter();
        source.stateDict().forEach((k, t) -> w.add("module." + (k.startsWith("fc.") ? "linear." + k.substring(3) : k), t.toFloatArray(), t.shape()));
        Path file = dir.resolve("pytorch.safetensors");
        w.write(file);
        CifarResNet target = CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(4));
        StateDictImport.Result r = StateDictImport.load(file, target, List.of());
        assertEquals("safetensors", r.source().format());
        assertEquals(64, r.source().sha256().length());
        assertArrayEquals(source.stateDict().get("fc.weight").toFloatArray(), target.stateDict().get("fc.weight").toFloatArray());
        CifarResNet deeper = new CifarResNet(32, CifarResNet.Shortcut.A, new Rng(0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StateDictImport.load(file, deeper, List.of()));
        assertTrue(e.getMessage().startsWith(file + " does not fit the model: missing keys: [layer1.3.conv1.weight"), e.getMessage());
    }
}
