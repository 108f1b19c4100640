package org.jqat.qat.convert;

import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.qat.quant.Quantizer;

/** Helpers shared by the quantized layers. */
public final class QuantLayers {
    private QuantLayers() {
    }

    /** Copies weight and bias values and their trainable flags from a float layer. */
    static void copyValues(Module src, Module dst) {
        try (var ng = Autograd.noGrad()) {
            for (String name : new String[] {"weight", "bias"}) {
                Tensor s = src.param(name);
                Tensor d = dst.param(name);
                if (s != null && d != null) {
                    d.copyFrom_(s);
                    d.requiresGrad(s.requiresGrad());
                }
            }
        }
    }

    /** Whether m is a QAT layer (QuantConv2d or QuantLinear). */
    public static boolean isQuantLayer(Module m) {
        return m instanceof QuantConv2d || m instanceof QuantLinear;
    }

    public static Quantizer weightQuantizer(Module m) {
        return m instanceof QuantConv2d c ? c.weightQuantizer() : m instanceof QuantLinear l ? l.weightQuantizer() : null;
    }

    public static Quantizer inputQuantizer(Module m) {
        return m instanceof QuantConv2d c ? c.inputQuantizer() : m instanceof QuantLinear l ? l.inputQuantizer() : null;
    }
}
