package org.jqat.nn.checkpoint;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a model's inputs were prepared when it was trained: pixels scaled to [0, 1], then
 * {@code (x - mean[c]) / std[c]} per channel, as torchvision's {@code ToTensor} and
 * {@code Normalize}. A checkpoint records it in its metadata ({@link #MEAN}, {@link #STD}), so
 * every command that reads the model feeds it the inputs it expects: an ImageNet-normalised
 * CIFAR model evaluated with CIFAR statistics still scores about right but produces different
 * logits.
 *
 * @param origin where the statistics come from, for messages (e.g. "recorded in the checkpoint")
 */
public record Preprocessing(float[] mean, float[] std, String origin) {
    /** Metadata key of the comma-separated per-channel means. */
    public static final String MEAN = "preprocessing.mean";
    /** Metadata key of the comma-separated per-channel standard deviations. */
    public static final String STD = "preprocessing.std";

    public Preprocessing {
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("preprocessing needs as many means as stds (one per channel), got "
                    + mean.length + " and " + std.length);
        }
        for (int i = 0; i < mean.length; i++) {
            if (!Float.isFinite(mean[i]) || !(std[i] > 0) || !Float.isFinite(std[i])) {
                throw new IllegalArgumentException("preprocessing: mean must be finite and std positive, got mean "
                        + Arrays.toString(mean) + ", std " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** The same statistics with another origin. */
    public Preprocessing from(String newOrigin) {
        return new Preprocessing(mean, std, newOrigin);
    }

    /** The metadata entries that record it. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MEAN, join(mean));
        m.put(STD, join(std));
        return m;
    }

    /**
     * The preprocessing a checkpoint's metadata records, or {@code null} when it records none.
     *
     * @param source names the file in messages
     * @throws IllegalArgumentException if only one of the two entries is there, or they do not parse
     */
    public static Preprocessing fromMetadata(Map<String, String> metadata, String source) {
        String m = metadata.get(MEAN);
        String s = metadata.get(STD);
        if (m == null && s == null) {
            return null;
        }
        if (m == null || s == null) {
            throw new IllegalArgumentException(source + ": metadata has " + (m == null ? STD : MEAN) + " but not "
                    + (m == null ? MEAN : STD));
        }
        try {
            return new Preprocessing(parse(m, source + ": " + MEAN), parse(s, source + ": " + STD), "recorded in " + source);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith(source) ? e.getMessage() : source + ": " + e.getMessage());
        }
    }

    /**
     * Parses a comma-separated list of numbers, e.g. {@code 0.485,0.456,0.406}.
     *
     * @param what names the option or field in messages
     */
    public static float[] parse(String csv, String what) {
        String[] parts = csv.split(",");
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Float.parseFloat(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + ": '" + parts[i].strip() + "' is not a number (expected e.g. 0.485,0.456,0.406)");
            }
        }
        return out;
    }

    /** One line for users, e.g. {@code mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225), recorded in x.safetensors}. */
    public String describe() {
        return "pixels/255, mean " + tuple(mean) + ", std " + tuple(std) + " (" + origin + ")";
    }

    private static String join(float[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i > 0 ? "," : "").append(v[i]);
        }
        return sb.toString();
    }

    private static String tuple(float[] v) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < v.length; i++) {
            sb.append(i > 0 ? ", " : "").append(v[i]);
        }
        return sb.append(')').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return describe();
    }
}
