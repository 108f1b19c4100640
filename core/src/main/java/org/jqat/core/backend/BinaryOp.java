package org.jqat.core.backend;

/** Elementwise functions of two arguments. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, MAX, MIN, POW,
    /** Comparisons give 1 where true and 0 where false; they have no gradient. */
    EQ, GT, GE, LT, LE
}
