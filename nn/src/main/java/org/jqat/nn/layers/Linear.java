package org.jqat.nn.layers;

import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.init.Init;

/** {@code y = x·Wᵀ + b} with {@code weight [out, in]}, initialised as PyTorch's default. */
public class Linear extends Module {
    public final int inFeatures;
    public final int outFeatures;

    public Linear(int inFeatures, int outFeatures, boolean bias, Rng rng) {
        this.inFeatures = inFeatures;
        this.outFeatures = outFeatures;
        Tensor w = registerParameter("weight", Tensor.zeros(outFeatures, inFeatures));
        Tensor b = registerParameter("bias", bias ? Tensor.zeros(outFeatures) : null);
        Init.pytorchDefault(w, b, rng);
    }

    public Linear(int inFeatures, int outFeatures, Rng rng) {
        this(inFeatures, outFeatures, true, rng);
    }

    public Tensor weight() {
        return param("weight");
    }

    public Tensor bias() {
        return param("bias");
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.linear(x, weight(), bias());
    }

    @Override
    protected String describe() {
        return "Linear(" + inFeatures + ", " + outFeatures + (bias() == null ? ", bias=false" : "") + ")";
    }
}
