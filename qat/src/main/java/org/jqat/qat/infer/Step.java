package org.jqat.qat.infer;

/** One stage of the integer pipeline, applied to the activations of a whole batch. */
interface Step {
    /** The step's output for the batch {@code in}; its arrays may come from {@code ws} (the calling thread's, reused by its next call). */
    Act apply(Act in, Workspace ws);

    /** A one-line description (layer names, forms, bits). */
    String describe();

    /** Bytes of the constants this step holds: weight codes, requantization multipliers, float parameters. */
    default long bytes() {
        return 0;
    }
}
