package org.jqat.datasets.transforms;

/**
 * A float image in CHW order, the unit transforms work on.
 *
 * @param data     {@code channels * height * width} values
 * @param channels number of channels
 * @param height   height
 * @param width    width
 */
public record Image(float[] data, int channels, int height, int width) {
    public Image {
        if (channels <= 0 || height <= 0 || width <= 0 || data.length != channels * height * width) {
            throw new IllegalArgumentException("Image: " + data.length + " values for shape "
                    + channels + "x" + height + "x" + width);
        }
    }

    /** Value at {@code (c, y, x)}. */
    public float get(int c, int y, int x) {
        return data[(c * height + y) * width + x];
    }
}
