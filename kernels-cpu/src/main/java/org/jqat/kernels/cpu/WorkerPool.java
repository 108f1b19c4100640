package org.jqat.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A fixed set of daemon threads that run the parts of one parallel loop at a time.
 *
 * <p>Parts are claimed from an atomic counter, so a core that the hypervisor takes away simply
 * claims fewer parts; results stay deterministic because each part's arithmetic depends only on
 * its index, never on which thread ran it. Idle workers block on a monitor rather than spin: on
 * a shared 2-vCPU box a spinning worker steals the very core the caller needs. A loop started
 * from inside a part (or while another thread owns the pool) runs inline on the calling thread.
 */
final class WorkerPool {
    /** The pool every kernel shares, sized by {@code jqat.threads} or the available processors. */
    static final WorkerPool SHARED = new WorkerPool(threadCount());

    /** One part of a parallel loop. */
    @FunctionalInterface
    interface Part {
        void run(int part);
    }

    private final int threads;
    private final ReentrantLock owner = new ReentrantLock();
    private final Object wake = new Object();
    private final Object done = new Object();
    private final AtomicInteger next = new AtomicInteger();
    private long generation;           // guarded by wake
    private int running;               // guarded by done
    private volatile Part task;
    private volatile int parts;
    private volatile Throwable failure;

    WorkerPool(int threads) {
        this.threads = Math.max(1, threads);
        for (int t = 1; t < this.threads; t++) {
            Thread w = new Worker(this::workerLoop, "jqat-cpu-" + t);
            w.setDaemon(true);
            w.start();
        }
    }

    static int threadCount() {
        String p = System.getProperty("jqat.threads");
        if (p != null && !p.isBlank()) {
            return Math.max(1, Integer.parseInt(p.trim()));
        }
        return Runtime.getRuntime().availableProcessors();
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body.run(p)} for every p in [0, count) and returns when all have finished. */
    void run(int count, Part body) {
        if (count <= 0) {
            return;
        }
        if (count == 1 || threads == 1 || owner.isHeldByCurrentThread() || Thread.currentThread() instanceof Worker
                || !owner.tryLock()) {
            for (int p = 0; p < count; p++) {
                body.run(p);
            }
            return;
        }
        try {
            failure = null;
            task = body;
            parts = count;
            next.set(0);
            synchronized (done) {
                running = threads - 1;
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

    private void workerLoop() {
        long seen = 0;
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
            if (body != null) {
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
