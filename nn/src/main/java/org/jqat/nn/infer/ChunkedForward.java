package org.jqat.nn.infer;

import java.util.List;
import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.Threads;
import org.jqat.core.backend.Device;
import org.jqat.nn.Module;

/**
 * A graph-free forward pass through a chain of eval-mode modules, run on the CPU as chunks of
 * images, each chunk through the whole chain on one thread, {@link Threads#count()} chunks at a
 * time: a chunk's activations stay in the core's cache from one module to the next, where a whole
 * batch would stream through memory at every layer, and the kernels inside run inline on their
 * chunk's thread (one parallel region per call instead of one per layer). Only correct for modules
 * that treat every image on its own (eval mode: no batch statistics).
 *
 * <p>Used by {@link InferenceModel} and by block replacement's frozen full-precision copy, whose
 * block outputs are distillation targets only.
 */
public final class ChunkedForward {
    private ChunkedForward() {
    }

    /**
     * The outputs of {@code stages} applied in turn to {@code x}: element i is the output of
     * stage i when {@code keep[i]}, null otherwise (the last stage's output is always returned).
     * Batches of at most {@code chunk} images, or off the CPU, run whole. Every other tensor made
     * on the way is closed; the returned ones belong to the calling thread's innermost
     * {@link TensorScope}, if any, as any op's result would.
     */
    public static Tensor[] run(List<? extends Module> stages, Tensor x, int chunk, boolean[] keep) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk must be at least 1 image, got " + chunk);
        }
        if (keep.length != stages.size()) {
            throw new IllegalArgumentException("keep has " + keep.length + " flags for " + stages.size() + " stages");
        }
        int n = x.dim() == 0 ? 0 : x.size(0);
        if (x.dim() == 0 || x.device() != Device.CPU || n <= chunk) {
            Tensor[] result = chain(stages, x, keep);
            for (Tensor t : result) {
                TensorScope.adopt(t); // the caller's, as the concatenations below are
            }
            return result;
        }
        int parts = (n + chunk - 1) / chunk;
        Tensor[][] out = new Tensor[parts][];
        Threads.parallelFor(parts, p -> out[p] = chain(stages, x.slice(0, p * chunk, Math.min(n, (p + 1) * chunk)), keep));
        Tensor[] result = new Tensor[stages.size()];
        Tensor[] pieces = new Tensor[parts];
        for (int i = 0; i < stages.size(); i++) {
            if (out[0][i] == null) {
                continue;
            }
            for (int p = 0; p < parts; p++) {
                pieces[p] = out[p][i];
            }
            result[i] = Tensor.concat(0, pieces);
            for (Tensor piece : pieces) {
                piece.close(); // back to the pool for the next call
            }
        }
        return result;
    }

    /** One pass without a graph over one chunk; every tensor made on the way but the kept outputs is closed. */
    private static Tensor[] chain(List<? extends Module> stages, Tensor x, boolean[] keep) {
        Tensor[] kept = new Tensor[stages.size()];
        try (var ng = Autograd.noGrad(); TensorScope scope = TensorScope.open()) {
            Tensor h = x;
            for (int i = 0; i < stages.size(); i++) {
                h = stages.get(i).forward(h);
                if (keep[i] || i == stages.size() - 1) {
                    kept[i] = TensorScope.keep(h);
                }
            }
        }
        return kept;
    }
}
