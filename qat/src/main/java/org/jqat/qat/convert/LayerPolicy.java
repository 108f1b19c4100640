package org.jqat.qat.convert;

/** What {@link Qat#convert} does to the first and last quantizable layers. */
public enum LayerPolicy {
    /** Leave in float (the paper-era recipes: LSQ, PACT, DoReFa keep them full precision). */
    FULL_PRECISION,
    /** Quantize weights and input to 8 bits. */
    EIGHT_BIT,
    /** Quantize like every other layer. */
    SAME
}
