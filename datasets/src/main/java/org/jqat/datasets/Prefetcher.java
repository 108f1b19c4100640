package org.jqat.datasets;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Builds the batches of one epoch on background daemon threads and hands them out in order.
 * Workers claim batch numbers in order but may finish out of order; the consumer waits for the
 * next number. At most {@code prefetch} batches are claimed beyond the one being consumed
 * (bounded memory), and all waiting is on a monitor (no spinning). A worker's exception is
 * delivered to the consumer at that batch's turn, wrapped with the original as cause.
 */
abstract class Prefetcher implements Iterator<Batch>, AutoCloseable {
    private final DataLoader loader;
    private final int epoch;
    private final int[] order;
    private final int end;
    private final Object lock = new Object();
    private final Map<Integer, Object> ready = new HashMap<>();
    private final Thread[] threads;
    private int nextToTake;
    private int nextToClaim;
    private boolean closed;

    private record Failure(int batch, Throwable cause) {}

    Prefetcher(DataLoader loader, int epoch, int[] order, int start, int end) {
        this.loader = loader;
        this.epoch = epoch;
        this.order = order;
        this.end = end;
        this.nextToTake = start;
        this.nextToClaim = start;
        int n = Math.min(loader.workers(), Math.max(0, end - start));
        this.threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(this::work, "jqat-loader-e" + epoch + "-" + i);
            t.setDaemon(true); // never keep the JVM alive for prefetching
            threads[i] = t;
        }
        for (Thread t : threads) {
            t.start();
        }
    }

    private void work() {
        while (true) {
            int b;
            synchronized (lock) {
                while (!closed && nextToClaim < end && nextToClaim - nextToTake >= loader.prefetch()) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed || nextToClaim >= end) {
                    return;
                }
                b = nextToClaim++;
            }
            Object result;
            try {
                result = loader.makeBatch(epoch, order, b);
            } catch (Throwable t) {
                result = new Failure(b, t);
            }
            synchronized (lock) {
                if (closed) {
                    return;
                }
                ready.put(b, result);
                lock.notifyAll();
            }
        }
    }

    /** The epoch number. */
    public int epoch() {
        return epoch;
    }

    /** Index of the batch the next {@link #next()} returns. */
    public int nextBatchIndex() {
        synchronized (lock) {
            return nextToTake;
        }
    }

    @Override
    public boolean hasNext() {
        synchronized (lock) {
            return !closed && nextToTake < end;
        }
    }

    @Override
    public Batch next() {
        Object result;
        int b;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("data loader epoch is closed");
            }
            if (nextToTake >= end) {
                throw new NoSuchElementException("epoch " + epoch + " has no more batches");
            }
            b = nextToTake;
            if (threads.length == 0) {
                result = null;
            } else {
                while (!ready.containsKey(b)) {
                    if (closed) {
                        throw new IllegalStateException("data loader epoch is closed");
                    }
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new DatasetException("interrupted while waiting for batch " + b, e);
                    }
                }
                result = ready.remove(b);
            }
            nextToTake++;
            lock.notifyAll(); // a slot in the prefetch window is free again
        }
        if (b == end - 1) {
            loader.forget((DataLoader.Epoch) this); // exhausted: workers end by themselves
        }
        if (threads.length == 0) {
            try {
                return loader.makeBatch(epoch, order, b);
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }
        if (result instanceof Failure f) {
            close();
            throw new DatasetException("data loader worker failed on epoch " + epoch + " batch " + f.batch()
                    + ": " + f.cause(), f.cause());
        }
        return (Batch) result;
    }

    /** Stops the worker threads and waits for them; idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            ready.clear();
            lock.notifyAll();
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            if (t != Thread.currentThread()) {
                try {
                    t.join(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        loader.forget((DataLoader.Epoch) this);
    }

    /** Whether all worker threads have ended (for tests and diagnostics). */
    public boolean threadsStopped() {
        for (Thread t : threads) {
            if (t.isAlive()) {
                return false;
            }
        }
        return true;
    }
}
