package org.jqat.qat.convert;

import org.jqat.core.FakeQuantSpec;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.layers.Conv2d;
import org.jqat.qat.quant.Quantizer;

/**
 * A {@link Conv2d} that fake-quantizes its weight ({@code weight_quantizer}) and, when it has
 * one, its input ({@code input_quantizer}), then runs the float convolution on the quantized
 * tensors. Being a Conv2d subclass it keeps the {@code weight}/{@code bias} keys, so a trained
 * float state dict loads into it unchanged; the quantizers add {@code weight_quantizer.*} and
 * {@code input_quantizer.*} entries.
 */
public final class QuantConv2d extends Conv2d {

    /** A copy of {@code src}'s configuration and values with the given quantizers. */
    public QuantConv2d(Conv2d src, Quantizer weightQuantizer, Quantizer inputQuantizer) {
        // the Rng only feeds Conv2d's initialiser, whose values are overwritten at once
        super(src.inChannels, src.outChannels, src.kernel, src.stride, src.padding, src.dilation, src.groups,
                src.bias() != null, new Rng(0));
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

    /** The input quantizer, or null when the input stays float. */
    public Quantizer inputQuantizer() {
        return hasChild("input_quantizer") ? (Quantizer) child("input_quantizer") : null;
    }

    /** The weight as the convolution sees it (fake-quantized). */
    public Tensor quantizedWeight() {
        return weightQuantizer().forward(weight());
    }

    @Override
    public Tensor forward(Tensor x) {
        Quantizer in = inputQuantizer();
        int[] st = {stride}, pad = {padding}, dil = {dilation};
        FakeQuantSpec fused = in == null ? null : in.fusedSpec(x);
        if (fused != null) {
            // quantized while the convolution lays out its input: fq(x) is neither materialised nor kept
            return Functional.conv2dFakeQuantInput(x, fused, quantizedWeight(), bias(), st, pad, dil, groups);
        }
        Tensor xq = in == null ? x : in.forward(x);
        return Functional.conv2d(xq, quantizedWeight(), bias(), st, pad, dil, groups);
    }

    @Override
    protected String describe() {
        return "Quant" + super.describe();
    }
}
