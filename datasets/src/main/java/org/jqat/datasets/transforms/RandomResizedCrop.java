package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/**
 * torchvision's {@code RandomResizedCrop}: a window of random area fraction in {@code scale}
 * and random aspect ratio (log-uniform in {@code ratio}), resized bilinearly to
 * {@code size x size}. Ten tries, then a centre crop with the ratio clamped, as torchvision.
 */
public final class RandomResizedCrop implements Transform {
    private final int size;
    private final double minScale;
    private final double maxScale;
    private final double logMinRatio;
    private final double logMaxRatio;

    /** Default ImageNet settings: scale (0.08, 1), ratio (3/4, 4/3). */
    public RandomResizedCrop(int size) {
        this(size, 0.08, 1.0, 3.0 / 4.0, 4.0 / 3.0);
    }

    public RandomResizedCrop(int size, double minScale, double maxScale, double minRatio, double maxRatio) {
        if (size <= 0 || !(0 < minScale && minScale <= maxScale) || !(0 < minRatio && minRatio <= maxRatio)) {
            throw new IllegalArgumentException("RandomResizedCrop: size " + size + ", scale (" + minScale + ", "
                    + maxScale + "), ratio (" + minRatio + ", " + maxRatio + ")");
        }
        this.size = size;
        this.minScale = minScale;
        this.maxScale = maxScale;
        this.logMinRatio = Math.log(minRatio);
        this.logMaxRatio = Math.log(maxRatio);
    }

    @Override
    public Image apply(Image image, Rng rng) {
        int[] win = window(image.height(), image.width(), rng);
        return Bilinear.resize(image, win[0], win[1], win[2], win[3], size, size);
    }

    /** The chosen window {@code {top, left, h, w}} for an {@code height x width} image. */
    int[] window(int height, int width, Rng rng) {
        double area = (double) height * width;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (minScale + (maxScale - minScale) * rng.nextDouble());
            double aspect = Math.exp(logMinRatio + (logMaxRatio - logMinRatio) * rng.nextDouble());
            int w = (int) Math.round(Math.sqrt(target * aspect));
            int h = (int) Math.round(Math.sqrt(target / aspect));
            if (0 < w && w <= width && 0 < h && h <= height) {
                int top = rng.nextInt(height - h + 1);
                int left = rng.nextInt(width - w + 1);
                return new int[] {top, left, h, w};
            }
        }
        double inRatio = (double) width / height;
        double minRatio = Math.exp(logMinRatio);
        double maxRatio = Math.exp(logMaxRatio);
        int w;
        int h;
        if (inRatio < minRatio) {
            w = width;
            h = (int) Math.round(w / minRatio);
        } else if (inRatio > maxRatio) {
            h = height;
            w = (int) Math.round(h * maxRatio);
        } else {
            w = width;
            h = height;
        }
        h = Math.max(1, Math.min(h, height));
        w = Math.max(1, Math.min(w, width));
        return new int[] {(height - h) / 2, (width - w) / 2, h, w};
    }
}
