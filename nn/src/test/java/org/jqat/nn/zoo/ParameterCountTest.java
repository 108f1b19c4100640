package org.jqat.nn.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqat.core.Rng;
import org.junit.jupiter.api.Test;

/** Parameter counts match He et al. and torchvision. */
class ParameterCountTest {

    @Test
    void cifarResNets() {
        // Option A has no shortcut parameters: He et al.'s 0.27M / 0.46M / 0.66M / 0.85M / 1.7M.
        assertEquals(269_722, CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(0)).parameterCount());
        assertEquals(464_154, CifarResNet.resnet32(CifarResNet.Shortcut.A, new Rng(0)).parameterCount());
        assertEquals(658_586, CifarResNet.resnet44(CifarResNet.Shortcut.A, new Rng(0)).parameterCount());
        assertEquals(853_018, CifarResNet.resnet56(CifarResNet.Shortcut.A, new Rng(0)).parameterCount());
        assertEquals(1_727_962, CifarResNet.resnet110(CifarResNet.Shortcut.A, new Rng(0)).parameterCount());
        // Option B adds two 1x1 conv + BN downsamples: 16*32 + 2*32 + 32*64 + 2*64.
        assertEquals(269_722 + 576 + 2176, CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(0)).parameterCount());
    }

    @Test
    void torchvisionResNets() {
        assertEquals(11_689_512, ResNet.resnet18(1000, new Rng(0)).parameterCount());
        assertEquals(21_797_672, ResNet.resnet34(1000, new Rng(0)).parameterCount());
        assertEquals(25_557_032, ResNet.resnet50(1000, new Rng(0)).parameterCount());
    }

    @Test
    void torchvisionKeyNames() {
        var keys = ResNet.resnet50(1000, new Rng(0)).stateDict().keySet();
        assertTrue(keys.contains("conv1.weight"));
        assertTrue(keys.contains("layer1.0.downsample.0.weight"));
        assertTrue(keys.contains("layer1.0.downsample.1.running_var"));
        assertTrue(keys.contains("layer4.2.conv3.weight"));
        assertTrue(keys.contains("layer4.2.bn3.running_mean"));
        assertTrue(keys.contains("fc.bias"));
        // torchvision's ResNet-50 state dict has 320 entries, 53 of them num_batches_tracked (not kept here).
        assertEquals(320 - 53, keys.size());
    }

    @Test
    void mnistCnn() {
        assertEquals(416 + 12_832 + 200_832 + 1290, new MnistCnn(new Rng(0)).parameterCount());
    }
}
