package org.jqat.qat.infer;

/**
 * The activations of a batch of {@code n} images between integer steps, {@code [n][c][h][w]}, in
 * one of three forms: activation codes ({@code codes}, value {@code (code − zeroPoint)·scale},
 * unsigned 0..255 or signed bytes), the residual stream ({@code stream}: int32 in units of
 * {@code scale}), or float ({@code fl}, the float first/last layers). Each step takes the whole
 * batch, so a layer runs once per call, whatever the batch size.
 *
 * <p>A stream may also be laid out as the <em>grid</em> of a stride-1, padding-1 convolution over
 * the batch ({@code grid}): {@code [c][n][h + 1][w + 1]}, value (image, y, x) of channel ch at
 * {@code ch·gridPlane() + (image·(h + 1) + y)·(w + 1) + x}; the extra column and row hold junk.
 * Residual blocks pass it between them ({@link ResidualBlock}): a conv tile covers consecutive grid
 * positions, so their epilogues and the next block's code planes read and write it in whole runs.
 * Every other step takes the dense form ({@link #dense}).
 */
record Act(int n, int c, int h, int w, byte[] codes, boolean unsigned, int zeroPoint, int[] stream, double scale, float[] fl,
           boolean grid) {

    static Act codes(int n, int c, int h, int w, byte[] codes, boolean unsigned, int zeroPoint, double scale) {
        return new Act(n, c, h, w, codes, unsigned, zeroPoint, null, scale, null, false);
    }

    static Act stream(int n, int c, int h, int w, int[] v, double scale) {
        return new Act(n, c, h, w, null, false, 0, v, scale, null, false);
    }

    /** A stream in the grid layout (see the class comment), {@code c·gridPlane()} values. */
    static Act gridStream(int n, int c, int h, int w, int[] v, double scale) {
        return new Act(n, c, h, w, null, false, 0, v, scale, null, true);
    }

    static Act floats(int n, int c, int h, int w, float[] v) {
        return new Act(n, c, h, w, null, false, 0, null, 1, v, false);
    }

    /** Values per channel of the grid layout: {@code n·(h + 1)·(w + 1)}. */
    int gridPlane() {
        return gridPlane(n, h, w);
    }

    static int gridPlane(int n, int h, int w) {
        return n * (h + 1) * (w + 1);
    }

    /** This stream, dense: itself, or (grid) its values copied into {@code into} ({@link #size()} long). */
    Act dense(java.util.function.IntFunction<int[]> into) {
        if (!grid) {
            return this;
        }
        int[] d = into.apply(size());
        int plane = gridPlane();
        for (int img = 0; img < n; img++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(stream, ch * plane + (img * (h + 1) + y) * (w + 1), d, ((img * c + ch) * h + y) * w, w);
                }
            }
        }
        return stream(n, c, h, w, d, scale);
    }

    /** This dense stream in the grid layout, copied into {@code into} ({@code c·gridPlane()} long; its junk places are left as they are). */
    Act gridded(int[] into) {
        int plane = gridPlane();
        for (int img = 0; img < n; img++) {
            for (int ch = 0; ch < c; ch++) {
                for (int y = 0; y < h; y++) {
                    System.arraycopy(stream, ((img * c + ch) * h + y) * w, into, ch * plane + (img * (h + 1) + y) * (w + 1), w);
                }
            }
        }
        return gridStream(n, c, h, w, into, scale);
    }

    /** Values of one image. */
    int perImage() {
        return c * h * w;
    }

    /** Values of the whole batch. */
    int size() {
        return n * c * h * w;
    }

    int code(int i) {
        return unsigned ? codes[i] & 0xFF : codes[i];
    }

    /** The same values seen as {@code [n][c·h·w][1][1]}: a linear layer's input after a flatten. */
    Act flat() {
        if (grid) {
            throw new IllegalStateException("integer inference: a grid stream has no flat view");
        }
        return new Act(n, perImage(), 1, 1, codes, unsigned, zeroPoint, stream, scale, fl, false);
    }

    /** Fails naming the step unless this activation has the expected form. */
    Act expect(String form, String step) {
        boolean ok = switch (form) {
            case "codes" -> codes != null;
            case "stream" -> stream != null;
            default -> fl != null;
        };
        if (!ok) {
            throw new IllegalStateException("integer inference: " + step + " expects " + form + " input");
        }
        return this;
    }
}
