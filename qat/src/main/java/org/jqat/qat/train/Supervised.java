package org.jqat.qat.train;

import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.loss.CrossEntropyLoss;

/** Cross-entropy on the model's logits (optionally label-smoothed). */
public final class Supervised implements Objective {
    private final Module model;
    private final CrossEntropyLoss loss;

    public Supervised(Module model, float labelSmoothing) {
        this.model = model;
        this.loss = new CrossEntropyLoss(labelSmoothing);
    }

    @Override
    public Module model() {
        return model;
    }

    @Override
    public StepResult forward(Tensor images, int[] labels) {
        var logits = model.forward(images);
        return new StepResult(loss.forward(logits, labels), logits);
    }
}
