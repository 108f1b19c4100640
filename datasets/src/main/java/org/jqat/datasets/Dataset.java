package org.jqat.datasets;

import java.util.List;

/**
 * A finite, indexable set of labelled images. Implementations are immutable after
 * construction, so {@link #get} may be called from several loader threads at once.
 */
public interface Dataset {
    /** Number of samples. */
    int size();

    /** Sample {@code index}, {@code 0 <= index < size()}. */
    Example get(int index);

    /**
     * Shape {@code {C, H, W}} of every sample; a dimension is -1 where images differ in size
     * (ImageFolder), in which case a transform must bring them to one size before batching.
     */
    int[] imageShape();

    /** Number of classes; labels lie in {@code [0, numClasses())}. */
    int numClasses();

    /** Class names in label order. */
    List<String> classNames();

    /** Label of sample {@code index}; overridden where it can be read without decoding pixels. */
    default int label(int index) {
        return get(index).label();
    }
}
