package org.jqat.datasets.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jqat.core.Rng;
import org.junit.jupiter.api.Test;

class TransformsTest {
    private static Image ramp(int c, int h, int w) {
        float[] d = new float[c * h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = i + 1; // nonzero everywhere, so zero padding is recognisable
        }
        return new Image(d, c, h, w);
    }

    @Test
    void flipTwiceIsIdentity() {
        Image img = ramp(3, 4, 5);
        Image once = RandomHorizontalFlip.flip(img);
        assertEquals(img.get(1, 2, 0), once.get(1, 2, 4));
        assertArrayEquals(img.data(), RandomHorizontalFlip.flip(once).data());
        // p = 1 always flips, p = 0 never does.
        assertArrayEquals(once.data(), new RandomHorizontalFlip(1f).apply(img, new Rng(1)).data());
        assertArrayEquals(img.data(), new RandomHorizontalFlip(0f).apply(img, new Rng(1)).data());
    }

    @Test
    void randomCropWithPaddingShapeAndValues() {
        Image img = ramp(3, 32, 32);
        RandomCrop crop = new RandomCrop(32, 4);
        int padded = 0;
        for (long seed = 0; seed < 50; seed++) {
            Image out = crop.apply(img, new Rng(seed));
            assertEquals(3, out.channels());
            assertEquals(32, out.height());
            assertEquals(32, out.width());
            Rng same = new Rng(seed);
            int top = same.nextInt(9) - 4; // 40 - 32 + 1 positions in the padded image
            int left = same.nextInt(9) - 4;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < 32; y++) {
                    for (int x = 0; x < 32; x++) {
                        int sy = top + y;
                        int sx = left + x;
                        boolean inside = sy >= 0 && sy < 32 && sx >= 0 && sx < 32;
                        float expect = inside ? img.get(c, sy, sx) : 0f;
                        assertEquals(expect, out.get(c, y, x));
                        if (!inside) {
                            padded++;
                        }
                    }
                }
            }
        }
        assertTrue(padded > 0, "some crops reach into the zero padding");
        Image a = crop.apply(img, new Rng(7));
        assertArrayEquals(a.data(), crop.apply(img, new Rng(7)).data(), "same rng, same crop");
    }

    @Test
    void toTensorAndNormalize() {
        Image img = new Image(new float[] {0, 255, 51, 102}, 2, 1, 2);
        Image t = new ToTensor().apply(img, null);
        assertArrayEquals(new float[] {0f, 1f, 0.2f, 0.4f}, t.data(), 1e-6f);
        Image n = new Normalize(new float[] {0.5f, 0.2f}, new float[] {0.5f, 0.1f}).apply(t, null);
        assertArrayEquals(new float[] {-1f, 1f, 0f, 2f}, n.data(), 1e-5f);
        assertNotSame(t.data(), n.data());
        assertThrows(IllegalArgumentException.class,
                () -> new Normalize(new float[] {0, 0, 0}, new float[] {1, 1, 1}).apply(t, null));
    }

    @Test
    void resizeShorterSideAndCenterCrop() {
        Image img = ramp(3, 40, 60);
        Image r = new Resize(20).apply(img, null);
        assertEquals(20, r.height());
        assertEquals(30, r.width());
        Image c = new CenterCrop(20).apply(r, null);
        assertEquals(20, c.height());
        assertEquals(20, c.width());
        assertEquals(r.get(2, 0, 5), c.get(2, 0, 0));
        // Exact 2x downscale with half-pixel centres averages 2x2 blocks.
        Image small = new Image(new float[] {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31}, 1, 4, 4);
        Image half = new Resize(2).apply(small, null);
        assertArrayEquals(new float[] {6, 10, 22, 26}, half.data(), 1e-5f);
        // Bilinear to the same size is the identity.
        assertArrayEquals(img.data(), Bilinear.resize(img, 0, 0, 40, 60, 40, 60).data());
        // Center crop larger than the image pads with zeros.
        Image padded = new CenterCrop(4).apply(new Image(new float[] {5, 6, 7, 8}, 1, 2, 2), null);
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 5, 6, 0, 0, 7, 8, 0, 0, 0, 0, 0}, padded.data());
    }

    @Test
    void randomResizedCropIsReproducibleAndInBounds() {
        Image img = ramp(3, 50, 70);
        RandomResizedCrop rrc = new RandomResizedCrop(24);
        for (long s = 0; s < 200; s++) {
            int[] w = rrc.window(50, 70, new Rng(s));
            assertTrue(w[0] >= 0 && w[1] >= 0 && w[2] > 0 && w[3] > 0 && w[0] + w[2] <= 50 && w[1] + w[3] <= 70);
            double area = (double) w[2] * w[3] / (50 * 70);
            assertTrue(area > 0.06 && area <= 1.0, "area fraction " + area);
        }
        Image a = rrc.apply(img, new Rng(3));
        assertEquals(24, a.height());
        assertEquals(24, a.width());
        assertArrayEquals(a.data(), rrc.apply(img, new Rng(3)).data());
        // A degenerate aspect ratio falls back to a centre crop.
        int[] w = new RandomResizedCrop(8, 0.99, 1.0, 1.0, 1.0).window(10, 100, new Rng(1));
        assertArrayEquals(new int[] {0, 45, 10, 10}, w);
    }

    @Test
    void composeAppliesInOrder() {
        Image img = new Image(new float[] {255, 0}, 1, 1, 2);
        Transform t = Compose.of(new ToTensor(), new RandomHorizontalFlip(1f))
                .then(new Normalize(new float[] {0.5f}, new float[] {0.5f}));
        assertArrayEquals(new float[] {-1f, 1f}, t.apply(img, new Rng(0)).data(), 1e-6f);
    }

    @Test
    void presetsProduceExpectedShapes() {
        Image cifar = ramp(3, 32, 32);
        Image t = Presets.forDataset("cifar10", true).apply(cifar, new Rng(5));
        assertEquals(32, t.height());
        Image big = ramp(3, 300, 400);
        Image in = Presets.forDataset("imagenet", false).apply(big, new Rng(5));
        assertEquals(224, in.height());
        assertEquals(224, in.width());
        assertEquals(224, Presets.forDataset("imagenet", true).apply(big, new Rng(5)).width());
        Image m = Presets.forDataset("mnist", false).apply(new Image(new float[] {0}, 1, 1, 1), null);
        assertEquals(-0.1307f / 0.3081f, m.data()[0], 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> Presets.forDataset("svhn", true));
    }
}
