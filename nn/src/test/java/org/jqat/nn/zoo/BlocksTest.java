package org.jqat.nn.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Blocks;
import org.jqat.nn.Module;
import org.jqat.nn.NamedBlock;
import org.junit.jupiter.api.Test;

/** Running a zoo model's blocks (or stages) one after another equals the whole model. */
class BlocksTest {

    private static <M extends Module & Blocks> void assertComposes(M model, Tensor x) {
        model.eval();
        try (var ng = Autograd.noGrad()) {
            float[] whole = model.forward(x).toFloatArray();
            Tensor h = x;
            for (NamedBlock b : model.blocks()) {
                h = b.module().forward(h);
            }
            assertArrayEquals(whole, h.toFloatArray(), 1e-6f);
            assertArrayEquals(whole, Blocks.run(model.stages(), x).toFloatArray(), 1e-6f);
        }
    }

    private static List<String> names(List<NamedBlock> blocks) {
        return blocks.stream().map(NamedBlock::name).toList();
    }

    @Test
    void cifarResNetBothShortcuts() {
        Rng rng = new Rng(3);
        Tensor x = Tensor.randn(rng, 2, 3, 8, 8);
        CifarResNet a = new CifarResNet(14, 10, CifarResNet.Shortcut.A, 1e-5f, 0.1f, rng);
        assertComposes(a, x);
        assertEquals(List.of("stem", "layer1.0", "layer1.1", "layer2.0", "layer2.1", "layer3.0", "layer3.1", "head"), names(a.blocks()));
        assertEquals(List.of("stem", "layer1", "layer2", "layer3", "head"), names(a.stages()));
        assertComposes(new CifarResNet(8, 10, CifarResNet.Shortcut.B, 1e-5f, 0.1f, rng), x);
    }

    @Test
    void imagenetResNetsAndMnist() {
        Rng rng = new Rng(4);
        ResNet r18 = ResNet.resnet18(7, rng);
        assertComposes(r18, Tensor.randn(rng, 1, 3, 32, 32));
        assertEquals(1 + 8 + 1, r18.blocks().size());
        assertEquals(List.of("stem", "layer1", "layer2", "layer3", "layer4", "head"), names(r18.stages()));
        assertComposes(new ResNet(true, new int[] {1, 1, 1, 1}, 5, rng), Tensor.randn(rng, 1, 3, 32, 32));
        assertComposes(new MnistCnn(rng), Tensor.randn(rng, 2, 1, 28, 28));
    }

    @Test
    void blockIsAModuleWithTheModelsKeysAndCanBeReplaced() {
        Rng rng = new Rng(5);
        CifarResNet model = CifarResNet.resnet20(CifarResNet.Shortcut.B, rng);
        CifarResNet fp = model.copy();
        NamedBlock stem = model.blocks().get(0);
        assertEquals(List.of("conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"),
                List.copyOf(stem.module().stateDict().keySet()));
        assertSame(model.submodule("layer2.0"), model.blocks().get(4).module());
        assertEquals("layer2.0", model.blocks().get(4).name());
        // Swap a residual block and the (composite) stem in from the copy.
        Module fpBlock = fp.submodule("layer2.0");
        model.replaceBlock("layer2.0", fpBlock);
        assertSame(fpBlock, model.submodule("layer2.0"));
        model.replaceBlock("stem", fp.blocks().get(0).module());
        assertSame(fp.child("conv1"), model.child("conv1"));
        model.replaceBlock("layer3", fp.child("layer3"));
        assertSame(fp.child("layer3"), model.child("layer3"));
        assertNotSame(fp.child("layer1"), model.child("layer1"));
        Tensor x = Tensor.randn(rng, 1, 3, 8, 8);
        model.eval();
        fp.eval();
        try (var ng = Autograd.noGrad()) {
            assertArrayEquals(fp.forward(x).toFloatArray(), model.forward(x).toFloatArray(), 1e-6f);
        }
    }
}
