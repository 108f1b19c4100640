package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/** Mirrors the image left-right with probability {@code p} (default 0.5). */
public final class RandomHorizontalFlip implements Transform {
    private final float p;

    public RandomHorizontalFlip() {
        this(0.5f);
    }

    public RandomHorizontalFlip(float p) {
        this.p = p;
    }

    @Override
    public Image apply(Image image, Rng rng) {
        // Always draw, so the number of draws (and later transforms' randomness) does not depend on p.
        return rng.nextFloat() < p ? flip(image) : image;
    }

    /** The left-right mirror image. */
    public static Image flip(Image image) {
        int w = image.width();
        int rows = image.channels() * image.height();
        float[] in = image.data();
        float[] out = new float[in.length];
        for (int r = 0; r < rows; r++) {
            int base = r * w;
            for (int x = 0; x < w; x++) {
                out[base + x] = in[base + w - 1 - x];
            }
        }
        return new Image(out, image.channels(), image.height(), w);
    }
}
