package org.jqat.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jqat.core.backend.Backend;

/**
 * Define-by-run reverse-mode differentiation. Each op that produces a tensor requiring a
 * gradient attaches a {@link Node}: its inputs and a closure, written beside the op's forward,
 * that maps the output gradient to input gradients. {@link #backward} walks the graph in
 * reverse topological order, sums gradients where a tensor feeds several ops, accumulates into
 * leaves' {@code grad} at the end (after the leaf gradients it let run in the background, see
 * {@link #submitLeafGradient}), and then releases every node so saved tensors can be collected.
 */
public final class Autograd {
    private static final ThreadLocal<int[]> noGradDepth = ThreadLocal.withInitial(() -> new int[1]);

    private Autograd() {
    }

    /** Maps the gradient of an op's output to the gradients of its inputs (null where not needed). */
    @FunctionalInterface
    public interface BackwardFn {
        Tensor[] apply(Tensor gradOutput);
    }

    /** A recorded op: the tensors it read and how to differentiate it. */
    static final class Node {
        final String op;
        Tensor[] inputs;
        BackwardFn fn;

        Node(String op, Tensor[] inputs, BackwardFn fn) {
            this.op = op;
            this.inputs = inputs;
            this.fn = fn;
        }

        void release() {
            inputs = null;
            fn = null;
        }
    }

    /** Stands in for a node after backward released it, so a second backward fails loudly instead of doing nothing. */
    static final Node RELEASED = new Node("released", new Tensor[0], g -> {
        throw new IllegalStateException("backward through a graph that was already released: call backward once per "
                + "forward pass (the graph and its saved tensors are freed by the first backward)");
    });

    /** A scope with gradient recording off; closes back to the previous mode. */
    @FunctionalInterface
    public interface NoGrad extends AutoCloseable {
        @Override
        void close();
    }

    /** Turns gradient recording off on this thread until the returned scope is closed. */
    public static NoGrad noGrad() {
        int[] depth = noGradDepth.get();
        depth[0]++;
        return () -> depth[0]--;
    }

    /** Whether ops on this thread currently record a graph. */
    public static boolean isGradEnabled() {
        return noGradDepth.get()[0] == 0;
    }

    /**
     * Attaches a node to {@code out} when recording is on and any input requires a gradient, and
     * returns {@code out}. This is the extension point for ops defined outside core (as
     * {@code torch.autograd.Function}): compute {@code out} from the inputs with recording off,
     * then record how the output gradient maps to each input's gradient (null where none).
     */
    public static Tensor record(String op, Tensor out, BackwardFn fn, Tensor... inputs) {
        if (!isGradEnabled()) {
            return out;
        }
        boolean needed = false;
        for (Tensor t : inputs) {
            needed |= t != null && t.requiresGrad;
        }
        if (needed) {
            out.requiresGrad = true;
            out.node = new Node(op, inputs, fn);
            for (Tensor t : inputs) {
                if (t != null) {
                    t.uses++;
                }
            }
        }
        return out;
    }

    /** Work a backward pass handed to backends: where to wait for it, and the leaf gradients it will leave. */
    private static final class Pass {
        final Set<Backend> backends = Collections.newSetFromMap(new IdentityHashMap<>());
        /** Per task of {@link #submitThroughLeafOp}: the op's inputs, then (once it ran) their gradients. */
        final List<Tensor[][]> throughLeafOps = new ArrayList<>();
    }

    /** The backward pass running on this thread (null outside one). */
    private static final ThreadLocal<Pass> running = new ThreadLocal<>();

    /**
     * Computes a leaf's gradient off the critical path: inside a backward pass, {@code task} goes
     * to {@link Backend#submit} and may run while the pass goes on (leaves' gradients are
     * accumulated only after every submitted task has finished); elsewhere it runs now. For
     * tasks that write a gradient for a leaf and read only tensors the pass does not change.
     */
    static void submitLeafGradient(Backend backend, Runnable task) {
        Pass pass = running.get();
        if (pass == null) {
            task.run();
            return;
        }
        pass.backends.add(backend);
        backend.submit(task);
    }

    /**
     * Hands the gradient of {@code input} off the critical path together with the backward of the
     * op that made it, when that op's only inputs needing gradients are leaves and the caller's op
     * is the only one that read {@code input} (a fake-quantized weight, say): the task gets the
     * gradient from {@code gradient}, runs the op's backward, and the leaves' gradients are
     * accumulated after the pass, in the order of submission. Returns false, submitting nothing,
     * when {@code input} does not qualify or no backward pass runs on this thread; true means the
     * caller must return no gradient for {@code input}.
     */
    static boolean submitThroughLeafOp(Backend backend, Tensor input, java.util.function.Supplier<Tensor> gradient) {
        Pass pass = running.get();
        Node node = input.node;
        if (pass == null || node == null || node == RELEASED || input.uses != 1) {
            return false;
        }
        for (Tensor in : node.inputs) {
            if (in != null && in.requiresGrad && in.node != null) {
                return false;
            }
        }
        BackwardFn fn = node.fn; // the pass releases the node when it reaches it; the task keeps what it needs
        Tensor[][] result = {node.inputs, null};
        pass.throughLeafOps.add(result);
        pass.backends.add(backend);
        String op = node.op;
        backend.submit(() -> {
            try (NoGrad ignored = noGrad()) { // backward closures run with recording off, on any thread
                Tensor g = gradient.get();
                checkGradShape(op + " (input)", input, g);
                result[1] = fn.apply(g);
            }
        });
        return true;
    }

    /** Waits for the tasks submitted by this backward pass (see {@link #submitLeafGradient}). */
    private static void awaitSubmitted(Pass pass) {
        for (Backend b : pass.backends) {
            b.awaitSubmitted();
        }
        pass.backends.clear();
    }

    /** Runs the backward pass from {@code root} with output gradient {@code seed}. */
    static void backward(Tensor root, Tensor seed) {
        if (!root.requiresGrad) {
            throw new IllegalStateException("backward: the tensor does not require grad and has no graph "
                    + "(was it computed under Autograd.noGrad(), or from tensors without requiresGrad?)");
        }
        List<Tensor> order = topologicalOrder(root);
        Map<Tensor, Tensor> pending = new IdentityHashMap<>();
        pending.put(root, seed);
        // Leaves reached, with their gradients: accumulated once the submitted leaf gradients are done.
        List<Tensor> leaves = new ArrayList<>();
        List<Tensor> leafGrads = new ArrayList<>();
        Pass outer = running.get();
        Pass pass = new Pass();
        running.set(pass);
        boolean completed = false;
        try (NoGrad ignored = noGrad()) {
            for (Tensor t : order) {
                Tensor g = pending.remove(t);
                Node node = t.node;
                if (node == null) {
                    if (g != null && t.requiresGrad) {
                        leaves.add(t);
                        leafGrads.add(g);
                    }
                    continue;
                }
                if (g != null || node == RELEASED) {
                    Tensor[] grads = node.fn.apply(g);
                    for (int i = 0; i < node.inputs.length; i++) {
                        Tensor in = node.inputs[i];
                        if (in == null || !in.requiresGrad || grads[i] == null) {
                            continue;
                        }
                        checkGradShape(node.op, in, grads[i]);
                        if (in.node == null && pending.containsKey(in)) {
                            awaitSubmitted(pass); // a leaf read by several ops: its gradients are added now
                        }
                        pending.merge(in, grads[i], Tensor::add);
                    }
                }
                if (node != RELEASED) {
                    node.release();
                    t.node = RELEASED;
                }
            }
            awaitSubmitted(pass);
            for (int i = 0; i < leaves.size(); i++) {
                leaves.get(i).accumulateGrad(leafGrads.get(i));
            }
            for (Tensor[][] r : pass.throughLeafOps) {
                for (int i = 0; i < r[0].length; i++) {
                    Tensor leaf = r[0][i];
                    if (leaf != null && leaf.requiresGrad && r[1][i] != null) {
                        checkGradShape("a submitted op", leaf, r[1][i]);
                        leaf.accumulateGrad(r[1][i]);
                    }
                }
            }
            completed = true;
        } finally {
            running.set(outer);
            if (!completed) {
                awaitSubmitted(pass); // no task may outlive the pass that owns its tensors
            }
        }
    }

    private static void checkGradShape(String op, Tensor input, Tensor grad) {
        if (!java.util.Arrays.equals(input.shape, grad.shape)) {
            throw new IllegalStateException("autograd: backward of " + op + " produced a gradient of shape "
                    + Shape.str(grad.shape) + " for an input of shape " + Shape.str(input.shape));
        }
    }

    /** Tensors reachable from root, each after every tensor that consumes it. */
    private static List<Tensor> topologicalOrder(Tensor root) {
        Set<Tensor> visited = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> post = new ArrayList<>();
        // Iterative DFS: deep networks (ResNet-110) would overflow a recursive one.
        ArrayDeque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root, 0});
        visited.add(root);
        while (!stack.isEmpty()) {
            Object[] frame = stack.peek();
            Tensor t = (Tensor) frame[0];
            int next = (Integer) frame[1];
            Tensor[] inputs = t.node == null ? new Tensor[0] : t.node.inputs;
            if (next < inputs.length) {
                frame[1] = next + 1;
                Tensor in = inputs[next];
                if (in != null && in.requiresGrad && visited.add(in)) {
                    stack.push(new Object[] {in, 0});
                }
            } else {
                stack.pop();
                post.add(t);
            }
        }
        Collections.reverse(post);
        return post;
    }
}
