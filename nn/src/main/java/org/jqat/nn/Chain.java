package org.jqat.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jqat.core.Tensor;

/**
 * Runs named children in order. Models use it to present a group of their own top-level
 * children (the stem {@code conv1, bn1, relu}) as one block whose state-dict keys are the same
 * as the model's ({@code conv1.weight}); such a chain is a <em>view</em>: it shares the modules
 * with the model.
 */
public final class Chain extends Module {
    private final boolean view;

    private Chain(Map<String, Module> modules, boolean view) {
        this.view = view;
        modules.forEach(this::registerModule);
    }

    /** A chain that owns its modules. */
    public static Chain of(Map<String, Module> modules) {
        return new Chain(modules, false);
    }

    /** A chain over named children of {@code owner} (shared, not copied). */
    public static Chain viewOf(Module owner, String... names) {
        LinkedHashMap<String, Module> m = new LinkedHashMap<>();
        for (String n : names) {
            m.put(n, owner.child(n));
        }
        return new Chain(m, true);
    }

    /** Whether this chain presents another module's children. */
    public boolean isView() {
        return view;
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : namedChildren().values()) {
            x = m.forward(x);
        }
        return x;
    }
}
