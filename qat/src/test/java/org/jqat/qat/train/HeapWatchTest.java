package org.jqat.qat.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HeapWatchTest {
    @Test
    void seesTheLiveSetAfterACollection() throws InterruptedException {
        try (HeapWatch watch = new HeapWatch()) {
            assertEquals(-1, watch.maxLiveMiB());
            byte[] live = new byte[96 << 20];
            live[live.length - 1] = 1;
            System.gc();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (watch.maxLiveMiB() < 96 && System.nanoTime() < deadline) {
                Thread.sleep(20); // notifications arrive on a JMX service thread
            }
            assertTrue(watch.maxLiveMiB() >= 96, "live heap after GC: " + watch.maxLiveMiB() + " MiB");
            assertEquals(1, live[live.length - 1]);
            watch.reset();
            assertEquals(-1, watch.maxLiveMiB());
        }
    }
}
