package org.jqat.qat.train;

import org.jqat.core.Tensor;

/**
 * Running loss and top-1 / top-5 accuracy over the batches of one pass, and its duration: from
 * construction to {@link #finish()} (until then, to now).
 */
public final class Metrics {
    private double lossSum;
    private long top1;
    private long top5;
    private long count;
    private final long startNanos = System.nanoTime();
    private long endNanos = -1;

    /** Adds one batch: its mean loss and its logits {@code [N, C]} against the labels. */
    public void add(float meanLoss, Tensor logits, int[] labels) {
        float[] v = logits.toFloatArray();
        int classes = logits.size(1);
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                // Ranking would still pick a class; an accuracy from such logits means nothing.
                throw new IllegalStateException("logits hold " + v[i] + " (sample " + i / classes + " of the batch): "
                        + "the model's weights or the data are not finite");
            }
        }
        for (int r = 0; r < labels.length; r++) {
            float target = v[r * classes + labels[r]];
            int above = 0;
            for (int c = 0; c < classes; c++) {
                // Ties count against the sample, so a constant output never scores.
                if (c != labels[r] && v[r * classes + c] >= target) {
                    above++;
                }
            }
            top1 += above == 0 ? 1 : 0;
            top5 += above < 5 ? 1 : 0;
        }
        lossSum += (double) meanLoss * labels.length;
        count += labels.length;
    }

    public long count() {
        return count;
    }

    public double loss() {
        return count == 0 ? Double.NaN : lossSum / count;
    }

    /** Top-1 accuracy in percent. */
    public double top1() {
        return count == 0 ? Double.NaN : 100.0 * top1 / count;
    }

    /** Top-5 accuracy in percent. */
    public double top5() {
        return count == 0 ? Double.NaN : 100.0 * top5 / count;
    }

    /**
     * Ends the pass's clock: {@link #seconds()} and {@link #imagesPerSecond()} stop growing, so a
     * training epoch's rate read after its evaluation and checkpoint still counts its batches only.
     * Later calls change nothing.
     */
    public Metrics finish() {
        if (endNanos < 0) {
            endNanos = System.nanoTime();
        }
        return this;
    }

    /** Seconds from construction to {@link #finish()}, or to now while the pass runs. */
    public double seconds() {
        return ((endNanos < 0 ? System.nanoTime() : endNanos) - startNanos) / 1e9;
    }

    public double imagesPerSecond() {
        double s = seconds();
        return s > 0 ? count / s : 0;
    }
}
