package org.jqat.datasets.transforms;

import java.util.List;
import org.jqat.core.Rng;

/** Applies transforms in order, all drawing from the same per-sample {@link Rng}. */
public final class Compose implements Transform {
    private final List<Transform> steps;

    public Compose(List<Transform> steps) {
        this.steps = List.copyOf(steps);
    }

    public static Compose of(Transform... steps) {
        return new Compose(List.of(steps));
    }

    public List<Transform> steps() {
        return steps;
    }

    @Override
    public Image apply(Image image, Rng rng) {
        Image x = image;
        for (Transform t : steps) {
            x = t.apply(x, rng);
        }
        return x;
    }
}
