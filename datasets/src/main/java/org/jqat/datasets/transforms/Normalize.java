package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/** Per-channel {@code (x - mean[c]) / std[c]}. */
public final class Normalize implements Transform {
    private final float[] mean;
    private final float[] std;

    public Normalize(float[] mean, float[] std) {
        if (mean.length != std.length) {
            throw new IllegalArgumentException("Normalize: " + mean.length + " means but " + std.length + " stds");
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("Normalize: std must be positive, got " + s);
            }
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    @Override
    public Image apply(Image image, Rng rng) {
        int c = image.channels();
        if (c != mean.length) {
            throw new IllegalArgumentException("Normalize: configured for " + mean.length + " channels, image has " + c);
        }
        int plane = image.height() * image.width();
        float[] in = image.data();
        float[] out = new float[in.length];
        for (int ch = 0; ch < c; ch++) {
            float m = mean[ch];
            float inv = 1f / std[ch];
            for (int i = ch * plane, e = i + plane; i < e; i++) {
                out[i] = (in[i] - m) * inv;
            }
        }
        return new Image(out, c, image.height(), image.width());
    }
}
