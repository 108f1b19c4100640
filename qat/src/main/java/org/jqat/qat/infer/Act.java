package org.jqat.qat.infer;

/**
 * The activations of a batch of {@code n} images between integer steps, {@code [n][c][h][w]}, in
 * one of three forms: activation codes ({@code codes}, value {@code (code − zeroPoint)·scale},
 * unsigned 0..255 or signed bytes), the residual stream ({@code stream}: int32 in units of
 * {@code scale}), or float ({@code fl}, the float first/last layers). Each step takes the whole
 * batch, so a layer runs once per call, whatever the batch size.
 */
record Act(int n, int c, int h, int w, byte[] codes, boolean unsigned, int zeroPoint, int[] stream, double scale, float[] fl) {

    static Act codes(int n, int c, int h, int w, byte[] codes, boolean unsigned, int zeroPoint, double scale) {
        return new Act(n, c, h, w, codes, unsigned, zeroPoint, null, scale, null);
    }

    static Act stream(int n, int c, int h, int w, int[] v, double scale) {
        return new Act(n, c, h, w, null, false, 0, v, scale, null);
    }

    static Act floats(int n, int c, int h, int w, float[] v) {
        return new Act(n, c, h, w, null, false, 0, null, 1, v);
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
        return new Act(n, perImage(), 1, 1, codes, unsigned, zeroPoint, stream, scale, fl);
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
