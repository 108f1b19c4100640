package org.jqat.datasets.transforms;

/** Shared crop helper: a window that may extend past the image, filled with zeros there. */
final class Crops {
    private Crops() {}

    /** The {@code h x w} window whose top-left corner is {@code (top, left)}; outside pixels are 0. */
    static Image crop(Image img, int top, int left, int h, int w) {
        int c = img.channels();
        int ih = img.height();
        int iw = img.width();
        float[] in = img.data();
        float[] out = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                int sy = top + y;
                if (sy < 0 || sy >= ih) {
                    continue;
                }
                int x0 = Math.max(0, -left);
                int x1 = Math.min(w, iw - left);
                if (x1 > x0) {
                    System.arraycopy(in, (ch * ih + sy) * iw + left + x0, out, (ch * h + y) * w + x0, x1 - x0);
                }
            }
        }
        return new Image(out, c, h, w);
    }
}
