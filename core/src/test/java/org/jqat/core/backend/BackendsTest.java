package org.jqat.core.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqat.core.Tensor;
import org.junit.jupiter.api.Test;

class BackendsTest {

    @Test
    void referenceIsFoundByServiceLoader() {
        assertTrue(Backends.all().stream().anyMatch(b -> b.name().equals("reference")));
        assertEquals("reference", Backends.get("REFERENCE").name());
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.get("tpu"));
        assertTrue(e.getMessage().contains("tpu") && e.getMessage().contains("reference"), e.getMessage());
    }

    @Test
    void scopedSelectionIsRestored() {
        Backend before = Backends.cpu();
        Backend ref = new ReferenceBackend();
        try (Backends.Scope ignored = Backends.using(ref)) {
            assertSame(ref, Backends.cpu());
            assertSame(ref, Tensor.zeros(2).backend());
        }
        assertSame(before, Backends.cpu());
    }

    @Test
    void defaultIsTheHighestPriorityAvailableCpuBackend() {
        int best = Backends.all().stream().filter(b -> b.device() == Device.CPU && b.unavailableReason() == null)
                .mapToInt(Backend::priority).max().orElseThrow();
        if (System.getProperty("jqat.backend", "").isBlank()) {
            assertEquals(best, Backends.cpu().priority());
        }
    }
}
