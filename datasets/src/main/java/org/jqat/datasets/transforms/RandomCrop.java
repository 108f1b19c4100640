package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/**
 * Pads every side with {@code padding} zeros, then takes a random {@code size x size} window,
 * as torchvision's {@code RandomCrop(size, padding)} (CIFAR: 32 with padding 4).
 */
public final class RandomCrop implements Transform {
    private final int size;
    private final int padding;

    public RandomCrop(int size, int padding) {
        if (size <= 0 || padding < 0) {
            throw new IllegalArgumentException("RandomCrop: size " + size + ", padding " + padding);
        }
        this.size = size;
        this.padding = padding;
    }

    @Override
    public Image apply(Image image, Rng rng) {
        int ph = image.height() + 2 * padding;
        int pw = image.width() + 2 * padding;
        if (ph < size || pw < size) {
            throw new IllegalArgumentException("RandomCrop: crop " + size + " larger than padded image " + ph + "x" + pw);
        }
        int top = rng.nextInt(ph - size + 1);
        int left = rng.nextInt(pw - size + 1);
        // Offsets are in padded coordinates; shift back so Crops fills the padding with zeros.
        return Crops.crop(image, top - padding, left - padding, size, size);
    }
}
