package org.jqat.datasets;

import org.jqat.core.Tensor;

/**
 * One mini-batch.
 *
 * @param images  {@code [N, C, H, W]} float tensor
 * @param labels  {@code N} class labels
 * @param indices the dataset indices of the {@code N} samples (for debugging and resume checks)
 * @param epoch   the epoch this batch belongs to
 * @param index   the batch's position within its epoch, from 0
 */
public record Batch(Tensor images, int[] labels, int[] indices, int epoch, int index) {
    /** Number of samples in the batch. */
    public int size() {
        return labels.length;
    }
}
