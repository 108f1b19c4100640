package org.jqat.datasets.transforms;

import org.jqat.core.Rng;

/** Scales raw 0..255 pixel values to [0, 1], as torchvision's {@code ToTensor}. */
public final class ToTensor implements Transform {
    @Override
    public Image apply(Image image, Rng rng) {
        float[] in = image.data();
        float[] out = new float[in.length];
        for (int i = 0; i < in.length; i++) {
            out[i] = in[i] / 255f;
        }
        return new Image(out, image.channels(), image.height(), image.width());
    }
}
