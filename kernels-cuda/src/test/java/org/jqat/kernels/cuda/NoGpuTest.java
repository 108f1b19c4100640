package org.jqat.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** On a machine without a usable GPU the backend says why, never throws, and changes nothing else. */
class NoGpuTest {

    @Test
    void registeredAndQueryableEverywhere() {
        Backend b = Backends.all().stream().filter(x -> x.name().equals("cuda")).findFirst().orElseThrow(
                () -> new AssertionError("CudaBackend is not registered with ServiceLoader"));
        assertEquals(Device.CUDA, b.device());
        assertEquals(20, b.priority());
        assertDoesNotThrow(b::unavailableReason);
        assertDoesNotThrow(b::describe);
        assertDoesNotThrow(() -> new CudaBackend().unavailableReason());
        // The host backend is never the CUDA one, GPU or not.
        assertEquals(Device.CPU, Backends.cpu().device());
        assertNotEquals("cuda", Backends.cpu().name());
    }

    @Test
    void unavailableWithReasonWithoutGpu() {
        CudaBackend b = new CudaBackend();
        String why = b.unavailableReason();
        Assumptions.assumeTrue(why != null, "a usable GPU is present; this test covers GPU-less machines");
        System.out.println("cuda unavailable: " + why);
        String lower = why.toLowerCase(Locale.ROOT);
        assertTrue(lower.contains("driver") || lower.contains("device") || lower.contains("libcuda")
                || lower.contains("disabled") || lower.contains("natives"), "reason should say why: " + why);
        assertEquals(why, b.unavailableReason(), "probed once, same answer");
        assertTrue(b.describe().contains(why), b.describe());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.allocate(4));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Backends.forDevice(Device.CUDA));
        IllegalStateException g = assertThrows(IllegalStateException.class, () -> Backends.get("cuda"));
        assertTrue(g.getMessage().contains(why), g.getMessage());
        // Host ops are unaffected.
        Tensor t = Tensor.of(new float[] {1, -2, 3}, 3).relu();
        assertEquals(4f, t.sum().item());
    }

    @Test
    void reasonNamesTheDriverWhenLibcudaIsAbsent() {
        Assumptions.assumeFalse(CudaProbe.driverLibraryPresent(), "libcuda.so.1 is installed here");
        String why = new CudaBackend().unavailableReason();
        assertNotNull(why);
        assertTrue(why.startsWith("no CUDA driver: libcuda.so.1 not found") || why.startsWith("disabled"), why);
    }
}
