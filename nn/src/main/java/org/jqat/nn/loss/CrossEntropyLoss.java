package org.jqat.nn.loss;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/** Mean cross-entropy of logits {@code [N, C]} against class indices, with optional label smoothing. */
public final class CrossEntropyLoss {
    public final float labelSmoothing;

    public CrossEntropyLoss(float labelSmoothing) {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1], got " + labelSmoothing);
        }
        this.labelSmoothing = labelSmoothing;
    }

    public CrossEntropyLoss() {
        this(0f);
    }

    public Tensor forward(Tensor logits, int[] target) {
        return Functional.crossEntropy(logits, target, labelSmoothing);
    }
}
