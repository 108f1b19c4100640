package org.jqat.nn.optim;

import org.jqat.core.Tensor;
import org.jqat.core.backend.HeapStorage;

/**
 * Direct access to the heap array behind a dense host tensor, so optimizer updates run as one
 * fused loop with no temporaries. Returns null for anything else (device memory, views), and
 * callers then fall back to tensor ops.
 */
final class HostArrays {
    private HostArrays() {
    }

    static float[] of(Tensor t) {
        if (t == null || t.storageOffset() != 0 || !t.isContiguous() || !(t.storage() instanceof HeapStorage h)) {
            return null;
        }
        float[] a = h.data();
        return a.length == t.numel() ? a : null;
    }
}
