package org.jqat.qat.convert;

import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.layers.Linear;
import org.jqat.qat.quant.Quantizer;

/**
 * A {@link Linear} that fake-quantizes its weight ({@code weight_quantizer}) and, when it has
 * one, its input ({@code input_quantizer}) before the float matmul. Keys as {@link QuantConv2d}.
 */
public final class QuantLinear extends Linear {

    public QuantLinear(Linear src, Quantizer weightQuantizer, Quantizer inputQuantizer) {
        super(src.inFeatures, src.outFeatures, src.bias() != null, new Rng(0));
        QuantLayers.copyValues(src, this);
        registerModule("weight_quantizer", weightQuantizer);
        if (inputQuantizer != null) {
            registerModule("input_quantizer", inputQuantizer);
        }
        train(src.isTraining());
    }

    public Quantizer weightQuantizer() {
        return (Quantizer) child("weight_quantizer");
    }

    public Quantizer inputQuantizer() {
        return hasChild("input_quantizer") ? (Quantizer) child("input_quantizer") : null;
    }

    public Tensor quantizedWeight() {
        return weightQuantizer().forward(weight());
    }

    @Override
    public Tensor forward(Tensor x) {
        Quantizer in = inputQuantizer();
        Tensor xq = in == null ? x : in.forward(x);
        return Functional.linear(xq, quantizedWeight(), bias());
    }

    @Override
    protected String describe() {
        return "Quant" + super.describe();
    }
}
