package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/** The central {@code size x size} window (zero-padded where the image is smaller), as torchvision. */
public final class CenterCrop implements Transform {
    private final int size;

    public CenterCrop(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("CenterCrop: size " + size);
        }
        this.size = size;
    }

    @Override
    public Image apply(Image image, Rng rng) {
        // torchvision: int(round((h - th) / 2.0)); Math.round differs only on negative halves.
        int top = (int) Math.rint((image.height() - size) / 2.0);
        int left = (int) Math.rint((image.width() - size) / 2.0);
        return Crops.crop(image, top, left, size, size);
    }
}
