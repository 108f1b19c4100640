package org.jqat.nn.loss;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;

/**
 * Knowledge-distillation loss {@code T²·KL(softmax(teacher/T) ‖ softmax(student/T))}, batch mean
 * (Hinton et al.); the T² factor keeps gradient magnitudes comparable across temperatures.
 * The teacher is detached: no gradient flows into it.
 */
public final class DistillationLoss {
    public final float temperature;
    public final boolean scaleByT2;

    public DistillationLoss(float temperature, boolean scaleByT2) {
        if (!(temperature > 0)) {
            throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        }
        this.temperature = temperature;
        this.scaleByT2 = scaleByT2;
    }

    public DistillationLoss(float temperature) {
        this(temperature, true);
    }

    public Tensor forward(Tensor student, Tensor teacher) {
        return Functional.distillationLoss(student, teacher.detach(), temperature, scaleByT2);
    }
}
