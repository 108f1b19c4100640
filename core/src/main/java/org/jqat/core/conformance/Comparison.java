package org.jqat.core.conformance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jqat.core.Tensor;

/**
 * Compares computed tensors with expected ones elementwise: an element passes when
 * {@code |actual − expected| <= atol + rtol·|expected|} (numpy.allclose). Collects the worst
 * absolute and relative errors and names every tensor that failed.
 */
public final class Comparison {
    private double maxAbs;
    private double maxRel;
    private final List<String> failures = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    /** Compares two tensors of equal shape. */
    public Comparison check(String name, Tensor actual, Tensor expected, double atol, double rtol) {
        if (!Arrays.equals(actual.shape(), expected.shape())) {
            // Size-1 differences ([1] vs []) are layout, not value, differences.
            if (actual.numel() != expected.numel()) {
                failures.add(name + ": shape " + Arrays.toString(actual.shape()) + " but expected " + Arrays.toString(expected.shape()));
                return this;
            }
        }
        return check(name, actual.toFloatArray(), expected.toFloatArray(), atol, rtol);
    }

    public Comparison check(String name, float[] actual, float[] expected, double atol, double rtol) {
        if (actual.length != expected.length) {
            failures.add(name + ": " + actual.length + " values but expected " + expected.length);
            return this;
        }
        int bad = 0;
        int firstBad = -1;
        for (int i = 0; i < actual.length; i++) {
            double a = actual[i];
            double e = expected[i];
            double abs = Math.abs(a - e);
            if (Double.isNaN(a) != Double.isNaN(e)) {
                abs = Double.POSITIVE_INFINITY;
            } else if (Double.isNaN(a)) {
                abs = 0;
            }
            double rel = abs / Math.max(Math.abs(e), 1e-12);
            maxAbs = Math.max(maxAbs, abs);
            if (Math.abs(e) > atol) {
                maxRel = Math.max(maxRel, rel);
            }
            if (!(abs <= atol + rtol * Math.abs(e))) {
                if (firstBad < 0) {
                    firstBad = i;
                }
                bad++;
            }
        }
        if (bad > 0) {
            failures.add(String.format("%s: %d of %d values off (first at %d: got %s, expected %s)",
                    name, bad, actual.length, firstBad, actual[firstBad], expected[firstBad]));
        }
        return this;
    }

    /** Records a fact worth printing without failing (e.g. values on a rounding boundary). */
    public Comparison note(String text) {
        notes.add(text);
        return this;
    }

    /** Records a failure found by the caller. */
    public Comparison fail(String text) {
        failures.add(text);
        return this;
    }

    public boolean passed() {
        return failures.isEmpty();
    }

    public CaseResult result() {
        List<String> all = new ArrayList<>(failures);
        all.addAll(notes);
        return new CaseResult(passed() ? CaseResult.Status.PASS : CaseResult.Status.FAIL, maxAbs, maxRel, String.join("; ", all));
    }
}
