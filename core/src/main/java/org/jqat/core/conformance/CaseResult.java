package org.jqat.core.conformance;

/** The outcome of one golden case, with the worst errors seen over every compared tensor. */
public record CaseResult(Status status, double maxAbsError, double maxRelError, String detail) {

    /**
     * How a case ended: {@code PASS} when every compared tensor is within tolerance, {@code FAIL}
     * when one is not (or the case could not run), {@code SKIP} when no handler implements its op.
     */
    public enum Status { PASS, FAIL, SKIP }

    public static CaseResult skip(String why) {
        return new CaseResult(Status.SKIP, 0, 0, why);
    }

    public static CaseResult fail(String why) {
        return new CaseResult(Status.FAIL, Double.NaN, Double.NaN, why);
    }
}
