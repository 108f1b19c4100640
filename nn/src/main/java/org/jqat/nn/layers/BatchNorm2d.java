package org.jqat.nn.layers;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/**
 * Batch normalisation over channels with learnable {@code weight} (1) and {@code bias} (0) and
 * buffers {@code running_mean} (0) and {@code running_var} (1). Training mode normalises with
 * batch statistics and updates the running ones ({@code new = (1-momentum)·old + momentum·batch},
 * unbiased variance, as PyTorch); eval mode uses the running statistics.
 */
public class BatchNorm2d extends Module {
    public final int channels;
    public final float eps;
    public final float momentum;

    public BatchNorm2d(int channels, float eps, float momentum) {
        this.channels = channels;
        this.eps = eps;
        this.momentum = momentum;
        registerParameter("weight", Tensor.ones(channels));
        registerParameter("bias", Tensor.zeros(channels));
        registerBuffer("running_mean", Tensor.zeros(channels));
        registerBuffer("running_var", Tensor.ones(channels));
    }

    /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
    public BatchNorm2d(int channels) {
        this(channels, 1e-5f, 0.1f);
    }

    public Tensor weight() {
        return param("weight");
    }

    public Tensor bias() {
        return param("bias");
    }

    public Tensor runningMean() {
        return buffer("running_mean");
    }

    public Tensor runningVar() {
        return buffer("running_var");
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.batchNorm(x, runningMean(), runningVar(), weight(), bias(), isTraining(), momentum, eps);
    }

    /**
     * {@code relu(forward(x) + residual)} (residual may be null) as one fused op
     * ({@link Functional#batchNormRelu}): the end of a ResNet block, without materialising the
     * normalised tensor.
     */
    public Tensor forwardRelu(Tensor x, Tensor residual) {
        return Functional.batchNormRelu(x, residual, runningMean(), runningVar(), weight(), bias(), isTraining(),
                momentum, eps);
    }

    @Override
    protected String describe() {
        return "BatchNorm2d(" + channels + ", eps=" + eps + ", momentum=" + momentum + ")";
    }
}
