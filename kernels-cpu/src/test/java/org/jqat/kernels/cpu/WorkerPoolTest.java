package org.jqat.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void loopsStartedFromPartsOfThreadsParallelForRunInline() {
        int before = org.jqat.core.Threads.count();
        try {
            org.jqat.core.Threads.set(2);
            WorkerPool pool = new WorkerPool(2);
            AtomicIntegerArray foreign = new AtomicIntegerArray(1);
            org.jqat.core.Threads.parallelFor(6, i -> {
                assertTrue(org.jqat.core.Threads.insideParallelLoop(), "part " + i);
                Thread self = Thread.currentThread();
                pool.run(4, p -> {
                    if (Thread.currentThread() != self) {
                        foreign.incrementAndGet(0);
                    }
                });
            });
            assertEquals(0, foreign.get(0), "parts handed to the pool's workers from inside a parallel loop");
            assertFalse(org.jqat.core.Threads.insideParallelLoop(), "the caller is outside the loop once it returns");
        } finally {
            org.jqat.core.Threads.set(before);
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

    @Test
    void followsItsSizeFromLoopToLoop() {
        java.util.concurrent.atomic.AtomicInteger size = new java.util.concurrent.atomic.AtomicInteger(1);
        WorkerPool pool = new WorkerPool(size::get);
        for (int threads : new int[] {1, 4, 2, 3, 1, 4}) {
            size.set(threads);
            assertEquals(threads, pool.threads());
            java.util.Set<Thread> ran = java.util.concurrent.ConcurrentHashMap.newKeySet();
            AtomicIntegerArray hits = new AtomicIntegerArray(64);
            for (int round = 0; round < 20; round++) {
                pool.run(64, p -> {
                    hits.incrementAndGet(p);
                    ran.add(Thread.currentThread());
                    busy();
                });
            }
            for (int p = 0; p < 64; p++) {
                assertEquals(20, hits.get(p), "part " + p + " with " + threads + " threads");
            }
            assertTrue(ran.size() <= threads, ran.size() + " threads ran parts of a " + threads + "-thread loop");
        }
    }

    @Test
    void theSharedPoolFollowsTheThreadsApi() {
        int before = org.jqat.core.Threads.count();
        try {
            org.jqat.core.Threads.set(3);
            assertEquals(3, WorkerPool.SHARED.threads());
            org.jqat.core.Threads.set(1);
            assertEquals(1, WorkerPool.SHARED.threads());
        } finally {
            org.jqat.core.Threads.set(before);
        }
    }

    @Test
    void backgroundTasksRunOnceAndAreAwaited() {
        WorkerPool pool = new WorkerPool(2);
        pool.run(4, p -> { }); // starts the worker
        for (int round = 0; round < 20; round++) {
            AtomicIntegerArray hits = new AtomicIntegerArray(16);
            for (int i = 0; i < 16; i++) {
                int task = i;
                pool.submit(() -> {
                    busy();
                    hits.incrementAndGet(task);
                });
            }
            pool.awaitBackground();
            for (int i = 0; i < 16; i++) {
                assertEquals(1, hits.get(i), "task " + i + " in round " + round);
            }
        }
    }

    /** A loop started while the worker is busy in a background task does not wait for it: the caller takes every part. */
    @Test
    void loopsDoNotWaitForAWorkerBusyInTheBackground() throws InterruptedException {
        WorkerPool pool = new WorkerPool(2);
        pool.run(4, p -> { });
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        pool.submit(() -> {
            started.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(started.await(10, java.util.concurrent.TimeUnit.SECONDS), "the worker took the task");
        Thread caller = Thread.currentThread();
        java.util.concurrent.atomic.AtomicInteger elsewhere = new java.util.concurrent.atomic.AtomicInteger();
        pool.run(32, p -> {
            if (Thread.currentThread() != caller) {
                elsewhere.incrementAndGet();
            }
        });
        assertEquals(0, elsewhere.get(), "parts ran on the busy worker");
        release.countDown();
        pool.awaitBackground();
    }

    @Test
    void backgroundFailuresSurfaceInAwait() {
        WorkerPool pool = new WorkerPool(2);
        pool.run(4, p -> { });
        pool.submit(() -> {
            throw new IllegalArgumentException("task failed");
        });
        pool.submit(WorkerPoolTest::busy);
        assertThrows(IllegalArgumentException.class, pool::awaitBackground);
        pool.awaitBackground(); // the failure is reported once
    }

    private static void busy() {
        double x = 0;
        for (int i = 0; i < 2_000; i++) {
            x += Math.sqrt(i);
        }
        if (x < 0) {
            throw new AssertionError();
        }
    }
}
