package org.jqat.qat.infer;

import java.util.Locale;

/**
 * How closely the integer engine follows the fake-quantized model it was exported from:
 * batches of logits from both are added, and it counts the images whose top-1 class agrees and
 * keeps the largest absolute logit difference (beside the largest reference logit, for scale).
 * Used by {@code jqat infer --compare} and the agreement tests.
 */
public final class Agreement {
    private long images;
    private long sameTop1;
    private long referenceCorrect;
    private long integerCorrect;
    private double maxLogitDiff;
    private double maxAbsLogit;

    /**
     * Adds one batch: {@code reference} (fake-quant) and {@code integer} logits, both
     * {@code [n, classes]} row-major; {@code labels} may be null.
     */
    public void add(float[] reference, float[] integer, int classes, int[] labels) {
        if (classes < 1 || reference.length != integer.length || reference.length % classes != 0) {
            throw new IllegalArgumentException("agreement: logits of " + reference.length + " and " + integer.length
                    + " values do not make rows of " + classes + " classes");
        }
        int n = reference.length / classes;
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("agreement: " + labels.length + " labels for " + n + " images");
        }
        for (int i = 0; i < n; i++) {
            int a = argmax(reference, i * classes, classes);
            int b = argmax(integer, i * classes, classes);
            sameTop1 += a == b ? 1 : 0;
            if (labels != null) {
                referenceCorrect += a == labels[i] ? 1 : 0;
                integerCorrect += b == labels[i] ? 1 : 0;
            }
            for (int j = i * classes; j < (i + 1) * classes; j++) {
                maxLogitDiff = Math.max(maxLogitDiff, Math.abs((double) reference[j] - integer[j]));
                maxAbsLogit = Math.max(maxAbsLogit, Math.abs(reference[j]));
            }
        }
        images += n;
    }

    /**
     * Index (0-based, within the row) of the largest of {@code v[from .. from+len)}, the first on
     * ties; a NaN counts as the largest (the first NaN wins), as in PyTorch and {@code Tensor.argmax}.
     */
    static int argmax(float[] v, int from, int len) {
        int best = 0;
        for (int j = 1; j < len && !Float.isNaN(v[from + best]); j++) {
            best = v[from + j] > v[from + best] || Float.isNaN(v[from + j]) ? j : best;
        }
        return best;
    }

    public long images() {
        return images;
    }

    public long sameTop1() {
        return sameTop1;
    }

    /** Fraction of images whose top-1 class is the same in both (1 when none were added). */
    public double rate() {
        return images == 0 ? 1 : (double) sameTop1 / images;
    }

    public double maxLogitDiff() {
        return maxLogitDiff;
    }

    public double maxAbsLogit() {
        return maxAbsLogit;
    }

    /** Top-1 accuracy of the reference (fake-quant) logits, percent; meaningful when labels were given. */
    public double referenceTop1() {
        return images == 0 ? 0 : 100.0 * referenceCorrect / images;
    }

    /** Top-1 accuracy of the integer logits, percent; meaningful when labels were given. */
    public double integerTop1() {
        return images == 0 ? 0 : 100.0 * integerCorrect / images;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "top-1 agreement %d/%d (%.2f%%), max |logit diff| %.3g (max |logit| %.3g)",
                sameTop1, images, 100 * rate(), maxLogitDiff, maxAbsLogit);
    }
}
