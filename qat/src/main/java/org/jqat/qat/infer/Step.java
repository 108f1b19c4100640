package org.jqat.qat.infer;

/** One stage of the integer pipeline, applied to the activations of a whole batch. */
interface Step {
    Act apply(Act in);

    /** A one-line description (layer names, forms, bits). */
    String describe();

    /** Bytes of the constants this step holds: weight codes, requantization multipliers, float parameters. */
    default long bytes() {
        return 0;
    }
}
