package org.jqat.qat.infer;

/**
 * One image's activation between integer steps, {@code [c][h][w]}, in one of three forms:
 * activation codes ({@code codes}, value {@code (code − zeroPoint)·scale}, unsigned 0..255 or
 * signed bytes), the residual stream ({@code stream}: int32 in units of {@code scale}), or float
 * ({@code fl}, the float first/last layers).
 */
record Act(int c, int h, int w, byte[] codes, boolean unsigned, int zeroPoint, int[] stream, double scale, float[] fl) {

    static Act codes(int c, int h, int w, byte[] codes, boolean unsigned, int zeroPoint, double scale) {
        return new Act(c, h, w, codes, unsigned, zeroPoint, null, scale, null);
    }

    static Act stream(int c, int h, int w, int[] v, double scale) {
        return new Act(c, h, w, null, false, 0, v, scale, null);
    }

    static Act floats(int c, int h, int w, float[] v) {
        return new Act(c, h, w, null, false, 0, null, 1, v);
    }

    int size() {
        return c * h * w;
    }

    int code(int i) {
        return unsigned ? codes[i] & 0xFF : codes[i];
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
