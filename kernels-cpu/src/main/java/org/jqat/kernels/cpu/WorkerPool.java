package org.jqat.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import org.jqat.core.Threads;

/**
 * A set of daemon threads that run the parts of one parallel loop at a time.
 *
 * <p>Parts are claimed from an atomic counter, so a core that the hypervisor takes away simply
 * claims fewer parts; results stay deterministic because each part's arithmetic depends only on
 * its index, never on which thread ran it. Idle workers block on a monitor rather than spin: on
 * a shared 2-vCPU box a spinning worker steals the very core the caller needs. A loop started
 * from inside a part (or while another thread owns the pool, or from a part of
 * {@link Threads#parallelFor}, which already keeps every thread busy) runs inline on the calling thread.
 *
 * <p>The size is read at the start of each loop ({@link Threads#count()} for the shared pool), so
 * an application's {@code Threads.set(n)} takes effect from the next op: missing workers are
 * started then, and workers beyond the count sit the loop out.
 */
final class WorkerPool {
    /** The pool every kernel shares, sized by {@link Threads#count()} (the API value, else {@code jqat.threads}, else the processors). */
    static final WorkerPool SHARED = new WorkerPool(Threads::count);

    /** One part of a parallel loop. */
    @FunctionalInterface
    interface Part {
        void run(int part);
    }

    private final IntSupplier size;
    private int started;               // workers started so far; grows under the owner lock
    private volatile int active;       // workers that take parts in the current loop
    private final ReentrantLock owner = new ReentrantLock();
    private final Object wake = new Object();
    private final Object done = new Object();
    private final AtomicInteger next = new AtomicInteger();
    private long generation;           // guarded by wake
    private int running;               // guarded by done
    private volatile Part task;
    private volatile int parts;
    private volatile Throwable failure;

    /** A pool of a fixed size (tests). */
    WorkerPool(int threads) {
        this(() -> threads);
    }

    WorkerPool(IntSupplier size) {
        this.size = size;
    }

    /** The threads a loop started now would use, the caller's included. */
    int threads() {
        return Math.max(1, size.getAsInt());
    }

    /** Starts workers until {@code n} exist; called with the owner lock held. */
    private void ensureWorkers(int n) {
        while (started < n) {
            int index = started++;
            long now;
            synchronized (wake) {
                now = generation; // a new worker waits for the next loop, not one that has already ended
            }
            Thread w = new Worker(() -> workerLoop(index, now), "jqat-cpu-" + (index + 1));
            w.setDaemon(true);
            w.start();
        }
    }

    /** Runs {@code body.run(p)} for every p in [0, count) and returns when all have finished. */
    void run(int count, Part body) {
        if (count <= 0) {
            return;
        }
        int threads = threads();
        if (count == 1 || threads == 1 || owner.isHeldByCurrentThread() || Thread.currentThread() instanceof Worker
                || Threads.insideParallelLoop() || !owner.tryLock()) {
            for (int p = 0; p < count; p++) {
                body.run(p);
            }
            return;
        }
        try {
            ensureWorkers(threads - 1);
            active = threads - 1;
            failure = null;
            task = body;
            parts = count;
            next.set(0);
            synchronized (done) {
                running = started; // every started worker wakes and checks in, active or not
            }
            synchronized (wake) {
                generation++;
                wake.notifyAll();
            }
            drain(body, count);
            synchronized (done) {
                while (running > 0) {
                    try {
                        done.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            task = null;
            Throwable f = failure;
            if (f instanceof RuntimeException r) {
                throw r;
            }
            if (f instanceof Error e) {
                throw e;
            }
            if (f != null) {
                throw new IllegalStateException(f);
            }
        } finally {
            owner.unlock();
        }
    }

    private void drain(Part body, int count) {
        int p;
        while ((p = next.getAndIncrement()) < count) {
            try {
                body.run(p);
            } catch (Throwable t) {
                failure = t;
            }
        }
    }

    private void workerLoop(int index, long seenAtStart) {
        long seen = seenAtStart;
        while (true) {
            synchronized (wake) {
                while (generation == seen) {
                    try {
                        wake.wait();
                    } catch (InterruptedException ignored) {
                        // daemon worker: nothing to clean up, keep serving
                    }
                }
                seen = generation;
            }
            Part body = task;
            if (body != null && index < active) {
                drain(body, parts);
            }
            synchronized (done) {
                if (--running == 0) {
                    done.notifyAll();
                }
            }
        }
    }

    /** Marks pool threads so nested loops run inline. */
    private static final class Worker extends Thread {
        Worker(Runnable body, String name) {
            super(body, name);
        }
    }
}
