package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/**
 * Scales the shorter side to {@code size} keeping the aspect ratio (the longer side is
 * truncated as in torchvision, {@code int(size * long / short)}), bilinear.
 */
public final class Resize implements Transform {
    private final int size;

    public Resize(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("Resize: size " + size);
        }
        this.size = size;
    }

    @Override
    public Image apply(Image image, Rng rng) {
        int h = image.height();
        int w = image.width();
        int oh;
        int ow;
        if (h <= w) {
            oh = size;
            ow = (int) ((long) size * w / h);
        } else {
            ow = size;
            oh = (int) ((long) size * h / w);
        }
        if (oh == h && ow == w) {
            return image;
        }
        return Bilinear.resize(image, 0, 0, h, w, oh, ow);
    }
}
