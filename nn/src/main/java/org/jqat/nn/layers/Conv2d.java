package org.jqat.nn.layers;

import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.init.Init;

/**
 * 2-D convolution, {@code weight [out, in/groups, k, k]} and optional {@code bias [out]},
 * initialised as PyTorch's default (kaiming_uniform(a=√5), bias U(±1/√fan_in)).
 */
public class Conv2d extends Module {
    public final int inChannels;
    public final int outChannels;
    public final int kernel;
    public final int stride;
    public final int padding;
    public final int dilation;
    public final int groups;

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, int dilation, int groups,
                  boolean bias, Rng rng) {
        if (inChannels % groups != 0 || outChannels % groups != 0) {
            throw new IllegalArgumentException("channels " + inChannels + "->" + outChannels + " not divisible by groups " + groups);
        }
        this.inChannels = inChannels;
        this.outChannels = outChannels;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.dilation = dilation;
        this.groups = groups;
        Tensor w = registerParameter("weight", Tensor.zeros(outChannels, inChannels / groups, kernel, kernel));
        Tensor b = registerParameter("bias", bias ? Tensor.zeros(outChannels) : null);
        Init.pytorchDefault(w, b, rng);
    }

    public Conv2d(int inChannels, int outChannels, int kernel, int stride, int padding, boolean bias, Rng rng) {
        this(inChannels, outChannels, kernel, stride, padding, 1, 1, bias, rng);
    }

    public Tensor weight() {
        return param("weight");
    }

    /** The bias, or null. */
    public Tensor bias() {
        return param("bias");
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.conv2d(x, weight(), bias(), new int[] {stride}, new int[] {padding}, new int[] {dilation}, groups);
    }

    @Override
    protected String describe() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", kernel=" + kernel + ", stride=" + stride
                + ", padding=" + padding + (groups != 1 ? ", groups=" + groups : "") + (bias() == null ? ", bias=false" : "") + ")";
    }
}
