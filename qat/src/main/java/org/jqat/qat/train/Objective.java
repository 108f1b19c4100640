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

    /** Runs the forward pass of one batch; the trainer calls backward on the loss. */
    StepResult forward(Batch batch);

    /** The loss to minimise and the logits of the model being trained, for accuracy. */
    record StepResult(org.jqat.core.Tensor loss, org.jqat.core.Tensor logits) {
    }
}
