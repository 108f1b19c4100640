package org.jqat.qat.train;

import java.util.Locale;

/** Learning-rate schedules the trainer can build. */
public enum Schedule {
    /** Cosine annealing to zero over the run, after an optional linear warm-up. */
    COSINE,
    /** Multiply by gamma every {@code stepSize} epochs. */
    STEP,
    /** Multiply by gamma at given milestones. */
    MULTISTEP,
    /** A fixed learning rate. */
    CONSTANT;

    public static Schedule parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown schedule '" + s + "'; expected cosine, step, multistep or constant");
        }
    }
}
