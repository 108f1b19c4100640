package org.jqat.nn;

import org.jqat.core.Tensor;

/** Runs children in order; children are named {@code 0, 1, ...} as {@code torch.nn.Sequential}. */
public class Sequential extends Module {
    private int size;

    public Sequential(Module... modules) {
        for (Module m : modules) {
            add(m);
        }
    }

    /** Appends a module named by its index; returns this. */
    public final Sequential add(Module m) {
        registerModule(Integer.toString(size++), m);
        return this;
    }

    public final Module get(int i) {
        return child(Integer.toString(checkIndex(i)));
    }

    /** Replaces the module at index i. */
    public final void set(int i, Module m) {
        setChild(Integer.toString(checkIndex(i)), m);
    }

    public final int size() {
        return size;
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("Sequential index " + i + " out of range for size " + size);
        }
        return i;
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Module m : namedChildren().values()) {
            x = m.forward(x);
        }
        return x;
    }
}
