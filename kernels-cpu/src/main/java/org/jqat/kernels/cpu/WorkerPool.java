package org.jqat.kernels.cpu;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import org.jqat.core.Threads;

/**
 * A set of daemon threads that run the parts of one parallel loop at a time, and between loops
 * the background tasks handed to {@link #submit}.
 *
 * <p>Parts are claimed from an atomic counter, so a core that the hypervisor takes away simply
 * claims fewer parts; results stay deterministic because each part's arithmetic depends only on
 * its index, never on which thread ran it. A loop ends when its last part is done, whoever ran
 * it: the caller never waits for a worker that claimed nothing (one still waking up, or busy with
 * a background task). Idle workers block on a monitor rather than spin: on a shared 2-vCPU box a
 * spinning worker steals the very core the caller needs. A loop started from inside a part or a
 * background task (or while another thread owns the pool, or from a part of
 * {@link Threads#parallelFor}, which already keeps every thread busy) runs inline on the calling thread.
 *
 * <p>Background tasks (the weight gradients of a backward pass, see
 * {@link CpuBackend#submit}) run on a worker whenever it has no loop parts to take, so it keeps
 * working while the caller goes on with the ops that depend on nothing the task writes; the
 * caller runs whatever is still queued itself in {@link #awaitBackground}.
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

    /** One parallel loop: parts are claimed from {@code next} and counted in {@code done} when finished. */
    private static final class Loop {
        final Part body;
        final int count;
        final int workers; // workers that may take parts (the caller always does)
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Loop(Part body, int count, int workers) {
            this.body = body;
            this.count = count;
            this.workers = workers;
        }

        boolean hasParts(int worker) {
            return worker < workers && next.get() < count;
        }
    }

    private final IntSupplier size;
    private volatile int started;      // workers started so far; grows under the owner lock
    private final ReentrantLock owner = new ReentrantLock();
    /** Workers wait here for a loop's parts or a background task; guards the fields below. */
    private final Object wake = new Object();
    /** The owner waits here for a loop's last part. */
    private final Object finished = new Object();
    private volatile Loop current;
    private final ArrayDeque<Runnable> background = new ArrayDeque<>();
    private int backgroundPending;     // submitted and not yet finished
    private Throwable backgroundFailure;

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
            Thread w = new Worker(() -> workerLoop(index), "jqat-cpu-" + (index + 1));
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
            Loop loop = new Loop(body, count, threads - 1);
            synchronized (wake) {
                current = loop;
                wake.notifyAll();
            }
            drain(loop);
            synchronized (finished) {
                while (loop.done.get() < count) {
                    try {
                        finished.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            current = null;
            rethrow(loop.failure);
        } finally {
            owner.unlock();
        }
    }

    private void drain(Loop loop) {
        int p;
        while ((p = loop.next.getAndIncrement()) < loop.count) {
            try {
                loop.body.run(p);
            } catch (Throwable t) {
                loop.failure = t;
            } finally {
                if (loop.done.incrementAndGet() == loop.count) {
                    synchronized (finished) {
                        finished.notifyAll();
                    }
                }
            }
        }
    }

    /**
     * Queues {@code task} for a worker that has no loop parts to take; runs it now on a pool of
     * one thread, on a worker (a task's own tasks), or before any worker has started.
     */
    void submit(Runnable task) {
        if (threads() == 1 || started == 0 || Thread.currentThread() instanceof Worker) {
            task.run();
            return;
        }
        synchronized (wake) {
            background.addLast(task);
            backgroundPending++;
            wake.notifyAll();
        }
    }

    /**
     * Runs the background tasks still queued on the calling thread (their loops get the pool's
     * workers as usual), waits for those running on workers, and rethrows the first failure.
     */
    void awaitBackground() {
        while (true) {
            Runnable task;
            synchronized (wake) {
                task = background.pollFirst();
            }
            if (task == null) {
                break;
            }
            runBackground(task);
        }
        Throwable f;
        synchronized (wake) {
            while (backgroundPending > 0) {
                try {
                    wake.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            f = backgroundFailure;
            backgroundFailure = null;
        }
        rethrow(f);
    }

    private void runBackground(Runnable task) {
        Throwable failed = null;
        try {
            task.run();
        } catch (Throwable t) {
            failed = t;
        }
        synchronized (wake) {
            if (failed != null && backgroundFailure == null) {
                backgroundFailure = failed;
            }
            if (--backgroundPending == 0) {
                wake.notifyAll(); // the caller in awaitBackground
            }
        }
    }

    private static void rethrow(Throwable f) {
        if (f instanceof RuntimeException r) {
            throw r;
        }
        if (f instanceof Error e) {
            throw e;
        }
        if (f != null) {
            throw new IllegalStateException(f);
        }
    }

    private void workerLoop(int index) {
        while (true) {
            Loop loop;
            Runnable task = null;
            synchronized (wake) {
                while (true) {
                    loop = current;
                    if (loop != null && loop.hasParts(index)) {
                        break; // the caller waits on loop parts: they come first
                    }
                    loop = null;
                    task = background.pollFirst();
                    if (task != null) {
                        break;
                    }
                    try {
                        wake.wait();
                    } catch (InterruptedException ignored) {
                        // daemon worker: nothing to clean up, keep serving
                    }
                }
            }
            if (loop != null) {
                drain(loop);
            } else {
                runBackground(task);
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
