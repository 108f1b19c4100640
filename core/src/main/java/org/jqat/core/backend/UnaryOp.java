package org.jqat.core.backend;

/** Elementwise functions of one argument, with their derivatives for the backward pass. */
public enum UnaryOp {
    NEG, ABS, EXP, LOG, SQRT, TANH, SIGMOID, RELU,
    /** Round half to even ({@code Math.rint}), as {@code torch.round}. Its gradient is zero. */
    ROUND,
    SQUARE, RECIPROCAL
}
