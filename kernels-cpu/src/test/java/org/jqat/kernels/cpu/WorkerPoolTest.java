package org.jqat.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void runsEveryPartExactlyOnceIncludingNested() {
        WorkerPool pool = new WorkerPool(3);
        for (int round = 0; round < 50; round++) {
            AtomicIntegerArray hits = new AtomicIntegerArray(37);
            pool.run(37, p -> {
                hits.incrementAndGet(p);
                pool.run(2, q -> { }); // nested loops run inline instead of deadlocking
            });
            for (int p = 0; p < 37; p++) {
                assertEquals(1, hits.get(p), "part " + p);
            }
        }
    }

    @Test
    void propagatesFailures() {
        WorkerPool pool = new WorkerPool(2);
        assertThrows(IllegalStateException.class, () -> pool.run(8, p -> {
            if (p == 5) {
                throw new IllegalStateException("boom");
            }
        }));
        pool.run(4, p -> { }); // still usable afterwards
    }
}
