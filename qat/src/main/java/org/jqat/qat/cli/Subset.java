package org.jqat.qat.cli;

import java.util.List;
import org.jqat.datasets.Dataset;
import org.jqat.datasets.Example;

/** The first {@code size} examples of a data set (for quick runs and smoke presets). */
final class Subset implements Dataset {
    private final Dataset base;
    private final int size;

    Subset(Dataset base, int size) {
        this.base = base;
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Example get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("index " + index + " outside subset of " + size);
        }
        return base.get(index);
    }

    @Override
    public int[] imageShape() {
        return base.imageShape();
    }

    @Override
    public int numClasses() {
        return base.numClasses();
    }

    @Override
    public List<String> classNames() {
        return base.classNames();
    }
}
