package org.jqat.core.conformance;

import java.util.Set;

/**
 * Runs golden cases of some ops. Each module contributes handlers for its own ops through
 * {@link java.util.ServiceLoader} ({@code META-INF/services/org.jqat.core.conformance.CaseHandler}),
 * so the runner in core checks whatever is on the class path.
 */
public interface CaseHandler {

    /** The values of the {@code op} metadata entry this handler runs. */
    Set<String> ops();

    /** Runs one case: forward, backward, and comparison with every expected tensor present. */
    CaseResult run(GoldenCase c);
}
