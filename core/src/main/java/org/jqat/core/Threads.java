package org.jqat.core;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * How many threads jqat's parallel loops use: every kernel of the {@code cpu} backend and the
 * integer inference engine ({@code org.jqat.qat.infer.IntModel}) read {@link #count()} each time a
 * loop starts, so {@link #set(int)} takes effect from the next op on.
 *
 * <p>The default is the system property {@code jqat.threads} when set, else the number of
 * available processors. An application embedding jqat sets it in code:
 *
 * <pre>{@code
 * Threads.set(4);   // at most 4 threads in jqat's loops, whatever the machine has
 * }</pre>
 *
 * <p>Loops split their work into parts whose arithmetic depends only on the part's index, so a
 * result does not depend on which thread ran a part; ops that sum per-thread partials (the
 * {@code cpu} backend's weight gradients) can round differently under another count, which is why
 * exact resume asks for the same count.
 */
public final class Threads {
    /** The most threads a loop may use. */
    public static final int MAX = 1024;
    private static final String PROPERTY = "jqat.threads";

    /** 0 until read from the property or set. */
    private static volatile int count;
    private static final ExecutorService HELPERS = Executors.newCachedThreadPool(Helper::new);

    private Threads() {
    }

    /** The number of threads parallel loops use now. */
    public static int count() {
        int n = count;
        if (n == 0) {
            n = fromProperty();
            count = n;
        }
        return n;
    }

    /**
     * Sets the number of threads every later parallel loop uses (1 runs everything on the calling
     * thread).
     *
     * @throws IllegalArgumentException when {@code n} is not in [1, {@value #MAX}]
     */
    public static void set(int n) {
        if (n < 1 || n > MAX) {
            throw new IllegalArgumentException("thread count must be between 1 and " + MAX + ", got " + n);
        }
        count = n;
    }

    private static int fromProperty() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            return Math.min(MAX, Runtime.getRuntime().availableProcessors());
        }
        int n;
        try {
            n = Integer.parseInt(p.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + PROPERTY + " must be a whole number of threads, got '" + p + "'");
        }
        if (n < 1 || n > MAX) {
            throw new IllegalArgumentException("system property " + PROPERTY + " must be between 1 and " + MAX + ", got " + n);
        }
        return n;
    }

    /**
     * Runs {@code body.accept(i)} for every i in [0, n) on up to {@link #count()} threads (the
     * caller's among them) and returns when all have finished. A loop started from inside a part
     * runs inline. The first exception a part throws is rethrown here once every part is done.
     */
    public static void parallelFor(int n, IntConsumer body) {
        int helpers = Math.min(count(), n) - 1;
        if (helpers <= 0 || insideParallelLoop()) {
            for (int i = 0; i < n; i++) {
                body.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable drain = () -> {
            int i;
            while ((i = next.getAndIncrement()) < n) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }
        };
        Runnable callerDrain = () -> {
            IN_PART.set(Boolean.TRUE);
            try {
                drain.run();
            } finally {
                IN_PART.remove();
            }
        };
        var running = new java.util.ArrayList<java.util.concurrent.Future<?>>(helpers);
        for (int h = 0; h < helpers; h++) {
            running.add(HELPERS.submit(drain));
        }
        callerDrain.run();
        for (var f : running) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for a parallel loop", e);
            } catch (java.util.concurrent.ExecutionException e) {
                failure.compareAndSet(null, e.getCause());
            }
        }
        Throwable f = failure.get();
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

    /** Set on the calling thread while it runs parts of a {@link #parallelFor} loop. */
    private static final ThreadLocal<Boolean> IN_PART = new ThreadLocal<>();

    /**
     * Whether the current thread is running a part of a {@link #parallelFor} loop. The loop already
     * uses every thread, so the parallel loops of kernels called from a part (the cpu backend's)
     * run inline instead of handing work to threads that are busy.
     */
    public static boolean insideParallelLoop() {
        return Thread.currentThread() instanceof Helper || IN_PART.get() != null;
    }

    /** Daemon threads of {@link #parallelFor}: they never keep the JVM alive, and nested loops run inline on them. */
    private static final class Helper extends Thread {
        private static final AtomicInteger NUMBER = new AtomicInteger();

        Helper(Runnable body) {
            super(body, "jqat-worker-" + NUMBER.incrementAndGet());
            setDaemon(true);
        }
    }
}
