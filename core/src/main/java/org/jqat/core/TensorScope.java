package org.jqat.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Closes, in one go, the tensors a block of code made: a training step opens one, and its
 * intermediates (activations, saved tensors, gradients of intermediates, the batch on the device,
 * the loss) give their memory back when the step ends rather than whenever the garbage
 * collector runs.
 *
 * <pre>{@code
 * try (TensorScope step = TensorScope.open()) {
 *     Tensor loss = model.forward(x).crossEntropy(labels);
 *     loss.backward();
 *     optimizer.step();        // the optimizer keeps its new state tensors (TensorScope.keep)
 *     optimizer.zeroGrad();    // gradients are the step's too
 * }                            // every other tensor made inside is closed here
 * }</pre>
 *
 * <p>Each tensor made on this thread while the scope is open (the innermost one, when scopes
 * nest) is recorded; {@link #close()} closes those not handed to {@link #keep}. Closing gives
 * back the tensor's reference to its storage, so memory another tensor still holds (a parameter
 * viewed inside the step, a buffer updated in place, anything kept) survives: only storages whose
 * every tensor was made in the scope are freed. Code that stores a tensor beyond the step
 * (optimizer state, a module's parameter or buffer) calls {@link #keep}; a kept tensor belongs
 * to whoever stored it. Using a tensor after its scope closed fails with
 * {@link IllegalStateException} instead of reading freed memory.
 *
 * <p>Only tensors whose storage {@linkplain org.jqat.core.backend.Storage#freesMemory() gives
 * memory back} are recorded: device memory today. Heap arrays ({@code HeapStorage}) are the
 * collector's, so host tensors are left alone (recording them would only keep a step's garbage
 * reachable until its end). A CPU backend that recycles arrays between steps would hand out
 * storages that say {@code freesMemory()} and return arrays in {@code Storage.free()}: the same
 * scope then recycles them. Scopes are per thread; tensors made on other threads (a data
 * loader's workers) are not recorded.
 */
public final class TensorScope implements AutoCloseable {
    private static final ThreadLocal<TensorScope> CURRENT = new ThreadLocal<>();

    private final TensorScope parent;
    private final Thread thread;
    private final List<Tensor> made = new ArrayList<>();
    private final List<AutoCloseable> resources = new ArrayList<>();
    private boolean closed;

    private TensorScope(TensorScope parent) {
        this.parent = parent;
        this.thread = Thread.currentThread();
    }

    /** Opens a scope on this thread; close it with try-with-resources. */
    public static TensorScope open() {
        TensorScope s = new TensorScope(CURRENT.get());
        CURRENT.set(s);
        return s;
    }

    /** The innermost open scope of this thread, or null. */
    public static TensorScope current() {
        return CURRENT.get();
    }

    /**
     * Records a new tensor in this thread's innermost scope, if any and if closing it can give
     * memory back ({@link org.jqat.core.backend.Storage#freesMemory()}); called by the tensor constructor.
     */
    static void track(Tensor t) {
        TensorScope s = CURRENT.get();
        if (s != null && t.storage.freesMemory()) {
            s.made.add(t);
            t.scope = s;
        }
    }

    /**
     * Takes {@code t} out of the scope that made it, so closing that scope leaves it open; its
     * holder closes it (or the collector reclaims it). A tensor made outside any scope is
     * unaffected. Returns t.
     */
    public static Tensor keep(Tensor t) {
        if (t != null) {
            t.scope = null;
        }
        return t;
    }

    /**
     * Hands {@code t} to this thread's innermost scope, which closes it with the tensors it made:
     * the inverse of {@link #keep}, for a result kept out of an inner scope that should live as
     * long as the caller's step. A tensor already in a scope, or without one open, is left as it
     * is. Returns t.
     */
    public static Tensor adopt(Tensor t) {
        if (t != null && t.scope == null && !t.isClosed()) {
            track(t);
        }
        return t;
    }

    /**
     * Closes {@code r} with this thread's innermost scope (device memory an op keeps outside
     * tensors, such as a fake-quantize mask saved for backward); without a scope, nothing happens
     * and r is left to its other owners or the collector.
     */
    static void closeWithScope(AutoCloseable r) {
        TensorScope s = CURRENT.get();
        if (s != null) {
            s.resources.add(r);
        }
    }

    /** Tensors made in this scope so far that will be closed with it. */
    public int pending() {
        int n = 0;
        for (Tensor t : made) {
            n += t.scope == this && !t.isClosed() ? 1 : 0;
        }
        return n;
    }

    /** Closes every tensor made in this scope and not kept; must be the innermost scope of this thread. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != thread) {
            throw new IllegalStateException("TensorScope.close: a scope must be closed on the thread that opened it");
        }
        if (CURRENT.get() != this) {
            throw new IllegalStateException("TensorScope.close: an inner scope is still open; close scopes in reverse order");
        }
        closed = true;
        CURRENT.set(parent);
        RuntimeException first = null;
        for (int i = made.size() - 1; i >= 0; i--) {
            Tensor t = made.get(i);
            if (t.scope == this) {
                t.scope = null;
                try {
                    t.close();
                } catch (RuntimeException e) {
                    first = first == null ? e : first;
                }
            }
        }
        made.clear();
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                first = first == null ? new IllegalStateException("TensorScope.close: " + e.getMessage(), e) : first;
            }
        }
        resources.clear();
        if (first != null) {
            throw first;
        }
    }
}
