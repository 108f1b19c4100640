package org.jqat.datasets.transforms;

/**
 * Bilinear resampling with half-pixel centres ({@code align_corners=False}, as PyTorch), no
 * antialiasing.
 */
public final class Bilinear {
    private Bilinear() {}

    /** Resizes the {@code h x w} window at {@code (top, left)} of {@code img} to {@code outH x outW}. */
    public static Image resize(Image img, int top, int left, int h, int w, int outH, int outW) {
        if (outH <= 0 || outW <= 0) {
            throw new IllegalArgumentException("Bilinear: output size " + outH + "x" + outW);
        }
        int c = img.channels();
        int ih = img.height();
        int iw = img.width();
        float[] in = img.data();
        float[] out = new float[c * outH * outW];
        double sy = (double) h / outH;
        double sx = (double) w / outW;
        // Precompute the column taps once per call; they are the same for every row and channel.
        int[] x0s = new int[outW];
        int[] x1s = new int[outW];
        float[] fx = new float[outW];
        for (int x = 0; x < outW; x++) {
            double src = Math.max(0, (x + 0.5) * sx - 0.5);
            int x0 = Math.min((int) src, w - 1);
            x0s[x] = left + x0;
            x1s[x] = left + Math.min(x0 + 1, w - 1);
            fx[x] = (float) (src - x0);
        }
        for (int y = 0; y < outH; y++) {
            double src = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.min((int) src, h - 1);
            int y1 = Math.min(y0 + 1, h - 1);
            float fy = (float) (src - y0);
            for (int ch = 0; ch < c; ch++) {
                int r0 = (ch * ih + top + y0) * iw;
                int r1 = (ch * ih + top + y1) * iw;
                int o = (ch * outH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    float a = in[r0 + x0s[x]] + (in[r0 + x1s[x]] - in[r0 + x0s[x]]) * fx[x];
                    float b = in[r1 + x0s[x]] + (in[r1 + x1s[x]] - in[r1 + x0s[x]]) * fx[x];
                    out[o + x] = a + (b - a) * fy;
                }
            }
        }
        return new Image(out, c, outH, outW);
    }
}
