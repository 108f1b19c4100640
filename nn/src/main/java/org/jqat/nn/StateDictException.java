package org.jqat.nn;

/** A strict state-dict load found missing, unexpected or mis-shaped keys; nothing was loaded. */
public final class StateDictException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient LoadReport report;

    public StateDictException(LoadReport report) {
        super("state dict does not match: " + report);
        this.report = report;
    }

    public LoadReport report() {
        return report;
    }
}
