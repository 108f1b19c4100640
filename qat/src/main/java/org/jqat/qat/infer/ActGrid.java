package org.jqat.qat.infer;

import org.jqat.qat.quant.QuantGrid;

/**
 * The integer grid of a layer's input activation: value {@code (code − zeroPoint)·scale} with
 * {@code code ∈ [codeMin, codeMax]}; one scale per tensor, no offset (LSQ, PACT, min/max).
 */
record ActGrid(String layer, double scale, float scaleF, int zeroPoint, int codeMin, int codeMax) {

    static ActGrid of(String layer, QuantGrid g) {
        if (g == null) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " has no input grid");
        }
        if (g.channels() != 1) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " has a per-channel input quantizer (unsupported)");
        }
        if (g.offset() != null && g.offset()[0] != 0f) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " has an input offset (LSQ+/affine offset, unsupported)");
        }
        float scale = g.scale()[0];
        if (!(scale > 0) || !Float.isFinite(scale)) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " input scale is " + scale
                    + "; it must be positive and finite");
        }
        int zp = g.zeroPoint() == null ? 0 : g.zeroPoint()[0];
        if (g.codeMin() < -128 || g.codeMax() > 255 || (g.codeMin() < 0 && g.codeMax() > 127)) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " input codes [" + g.codeMin() + ", "
                    + g.codeMax() + "] do not fit a byte");
        }
        return new ActGrid(layer, g.scale()[0], g.scale()[0], zp, g.codeMin(), g.codeMax());
    }

    boolean unsigned() {
        return codeMin >= 0;
    }

    /** Lowest code after a ReLU: the code of 0 (the zero point), or codeMin. */
    int reluLo() {
        return Math.max(codeMin, Math.min(codeMax, zeroPoint));
    }

    /** The fake-quantize kernel's code of one float: {@code rint(clamp(x/s, min−zp, max−zp)) + zp}. */
    int quantize(float x) {
        float v = x / scaleF;
        return (int) Math.rint(Math.min(Math.max(v, codeMin - zeroPoint), codeMax - zeroPoint)) + zeroPoint;
    }
}
