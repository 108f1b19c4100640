package org.jqat.qat.train;

import org.jqat.datasets.Batch;
import org.jqat.nn.Module;

/**
 * What one training step computes from a batch: the loss to minimise and the logits to score.
 * Plain supervised training is {@link Supervised}; distillation and block-replacement QAT
 * supply their own objective and reuse the same {@link Trainer}.
 */
public interface Objective {

    /** The model whose parameters are trained, checkpointed and evaluated. */
    Module model();

    /**
     * Called by the {@link Trainer} before each step's forward with its global step (0-based,
     * counted over epochs, the same after a resume), for objectives whose step depends on it.
     */
    default void startStep(long globalStep) {
    }

    /**
     * Runs the forward pass of images {@code [N, C, H, W]} with their {@code N} labels; the caller
     * (the trainer, or a loop of one's own) calls backward on the loss.
     */
    StepResult forward(org.jqat.core.Tensor images, int[] labels);

    /** {@link #forward(org.jqat.core.Tensor, int[])} of a data loader's batch. */
    default StepResult forward(Batch batch) {
        return forward(batch.images(), batch.labels());
    }

    /** The loss to minimise and the logits of the model being trained, for accuracy. */
    record StepResult(org.jqat.core.Tensor loss, org.jqat.core.Tensor logits) {
    }
}
