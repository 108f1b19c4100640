package org.jqat.core.backend;

/** Reductions along one axis of an (outer, n, inner) view. */
public enum ReduceOp {
    SUM, MAX, MIN
}
