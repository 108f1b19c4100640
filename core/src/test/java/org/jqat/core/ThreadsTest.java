package org.jqat.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ThreadsTest {

    @Test
    void parallelForRunsEveryIndexOnceOnAtMostCountThreads() {
        int before = Threads.count();
        try {
            for (int threads : new int[] {1, 2, 3}) {
                Threads.set(threads);
                AtomicIntegerArray hits = new AtomicIntegerArray(50);
                Set<Thread> ran = ConcurrentHashMap.newKeySet();
                Threads.parallelFor(50, i -> {
                    hits.incrementAndGet(i);
                    ran.add(Thread.currentThread());
                    Threads.parallelFor(3, j -> { }); // nested: inline, no deadlock
                });
                for (int i = 0; i < 50; i++) {
                    assertEquals(1, hits.get(i), "index " + i);
                }
                assertTrue(ran.size() <= threads, ran.size() + " threads for a count of " + threads);
                if (threads == 1) {
                    assertEquals(Set.of(Thread.currentThread()), ran);
                }
            }
        } finally {
            Threads.set(before);
        }
    }

    @Test
    void failuresReachTheCallerAndBadCountsAreRefused() {
        int before = Threads.count();
        try {
            Threads.set(2);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Threads.parallelFor(10, i -> {
                if (i == 7) {
                    throw new IllegalStateException("boom at 7");
                }
            }));
            assertEquals("boom at 7", e.getMessage());
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Threads.set(0));
            assertTrue(bad.getMessage().contains("between 1 and"), bad.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Threads.set(Threads.MAX + 1));
            assertEquals(2, Threads.count(), "a refused value changes nothing");
        } finally {
            Threads.set(before);
        }
    }
}
