package org.jqat.nn;

import java.util.List;

/**
 * A model made of blocks that run in sequence, as block-replacement QAT needs: fine-grained
 * {@link #blocks()} (stem, each residual block, head) and coarse {@link #stages()} (stem,
 * layer1, ..., head). Running either list in order equals {@code forward}.
 */
public interface Blocks {

    /** Fine-grained blocks in execution order. */
    List<NamedBlock> blocks();

    /** Per-stage grouping in execution order. */
    List<NamedBlock> stages();

    /**
     * Puts {@code replacement} in place of the block named {@code name} (from {@link #blocks()}
     * or {@link #stages()}). A composite block ({@link Chain}, e.g. the stem) is replaced by
     * taking over the same-named children of a {@link Chain} replacement, such as the matching
     * block of another copy of the model.
     */
    default void replaceBlock(String name, Module replacement) {
        Module self = (Module) this;
        NamedBlock current = null;
        for (NamedBlock b : blocks()) {
            current = b.name().equals(name) ? b : current;
        }
        for (NamedBlock b : stages()) {
            current = b.name().equals(name) ? b : current;
        }
        if (current == null) {
            throw new IllegalArgumentException("no block named '" + name + "'");
        }
        if (current.module() instanceof Chain chain && chain.isView()) {
            if (!(replacement instanceof Chain other)) {
                throw new IllegalArgumentException("block '" + name + "' is composite: replace it with a Chain of the same children");
            }
            for (String child : chain.namedChildren().keySet()) {
                self.setChild(child, other.child(child));
            }
        } else {
            self.setSubmodule(name, replacement);
        }
    }

    /** Runs blocks in order. */
    static org.jqat.core.Tensor run(List<NamedBlock> blocks, org.jqat.core.Tensor x) {
        for (NamedBlock b : blocks) {
            x = b.module().forward(x);
        }
        return x;
    }
}
