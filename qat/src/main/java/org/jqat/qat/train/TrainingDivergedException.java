package org.jqat.qat.train;

/** Thrown when the loss becomes NaN or infinite; the message names the epoch and step. */
public final class TrainingDivergedException extends RuntimeException {
    public TrainingDivergedException(String message) {
        super(message);
    }
}
