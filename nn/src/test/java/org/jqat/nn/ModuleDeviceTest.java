package org.jqat.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@link Module#to} on a CPU-only class path: moving to the current device changes nothing, and
 * moving to a device no backend serves fails clearly and leaves the module as it was. (The move
 * itself, CPU to CUDA and back, is checked by kernels-cuda's CudaResNetTrainingTest on a GPU.)
 */
class ModuleDeviceTest {

    private static CifarResNet trainedOnce() {
        CifarResNet net = CifarResNet.resnet20(CifarResNet.Shortcut.A, new Rng(3));
        Tensor x = Tensor.randn(new Rng(4), 2, 3, 32, 32);
        Functional.crossEntropy(net.forward(x), new int[] {1, 7}).backward();
        net.child("fc").param("weight").requiresGrad(false); // a frozen parameter must stay frozen
        return net;
    }

    @Test
    void toCurrentDeviceIsANoOpThatKeepsIdentities() {
        CifarResNet net = trainedOnce();
        Map<String, Tensor> before = new LinkedHashMap<>(net.stateDict());
        Map<String, Tensor> grads = new LinkedHashMap<>();
        net.namedParameters().forEach((k, v) -> grads.put(k, v.grad()));
        assertEquals(Device.CPU, net.device());

        assertSame(net, net.to(Device.CPU));

        Map<String, Tensor> after = net.stateDict();
        assertEquals(before.keySet(), after.keySet());
        before.forEach((k, v) -> assertSame(v, after.get(k), k));
        net.namedParameters().forEach((k, v) -> {
            assertSame(grads.get(k), v.grad(), k + " grad");
            assertTrue(v.isLeaf(), k);
        });
        assertTrue(net.child("conv1").param("weight").requiresGrad());
        assertTrue(!net.child("fc").param("weight").requiresGrad());
        assertNotNull(net.child("conv1").param("weight").grad());
    }

    @Test
    void unavailableDeviceFailsClearlyAndChangesNothing() {
        Assumptions.assumeTrue(Backends.all().stream().noneMatch(b -> b.device() == Device.CUDA && b.unavailableReason() == null),
                "a usable CUDA backend is on the class path");
        CifarResNet net = trainedOnce();
        Map<String, Tensor> before = new LinkedHashMap<>(net.stateDict());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> net.to(Device.CUDA));
        assertTrue(e.getMessage().contains("no available backend for device CUDA"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
        Map<String, Tensor> after = net.stateDict();
        before.forEach((k, v) -> assertSame(v, after.get(k), k));
        assertEquals(Device.CPU, net.device());
        // still usable
        net.forward(Tensor.randn(new Rng(5), 2, 3, 32, 32));
    }

    @Test
    void emptyModuleIsOnTheHost() {
        Module m = new org.jqat.nn.layers.ReLU();
        assertEquals(Device.CPU, m.device());
        assertSame(m, m.to(Device.CUDA)); // nothing to move, nothing to look up
    }
}
