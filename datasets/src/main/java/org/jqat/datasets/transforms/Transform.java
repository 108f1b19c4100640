package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/**
 * One step of per-sample preprocessing. Random transforms draw only from the {@code rng}
 * passed in (the loader derives it from seed, epoch and sample index), never from a global
 * generator, so augmentation is reproducible and independent of thread scheduling.
 * Deterministic transforms ignore it. A transform must not modify its input in place.
 */
@FunctionalInterface
public interface Transform {
    Image apply(Image image, Rng rng);

    /** This transform followed by {@code next}. */
    default Transform then(Transform next) {
        return Compose.of(this, next);
    }
}
