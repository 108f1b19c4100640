package org.jqat.datasets;

import org.jqat.datasets.transforms.Image;

/**
 * One sample as stored: raw uint8 pixels in CHW order and its class label. Pixels stay bytes
 * until a transform needs floats, so a whole data set fits in memory at one byte per value.
 *
 * @param pixels   {@code channels * height * width} unsigned bytes, channel-major (CHW)
 * @param channels number of colour channels (1 for MNIST, 3 for RGB)
 * @param height   image height in pixels
 * @param width    image width in pixels
 * @param label    class index in {@code [0, numClasses)}
 */
public record Example(byte[] pixels, int channels, int height, int width, int label) {
    public Example {
        if (pixels.length != channels * height * width) {
            throw new IllegalArgumentException("Example: " + pixels.length + " bytes for shape "
                    + channels + "x" + height + "x" + width);
        }
    }

    /** Pixel {@code (c, y, x)} as an int in [0, 255]. */
    public int pixel(int c, int y, int x) {
        return pixels[(c * height + y) * width + x] & 0xFF;
    }

    /**
     * The pixels as floats with their raw values 0..255 (not yet scaled: that is
     * {@link org.jqat.datasets.transforms.ToTensor}'s job, as in torchvision).
     */
    public Image toImage() {
        float[] f = new float[pixels.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = pixels[i] & 0xFF;
        }
        return new Image(f, channels, height, width);
    }
}
