package org.jqat.core;

/**
 * Neural-network functions on tensors, named as {@code torch.nn.functional}. Every function
 * records its gradient when an input requires one.
 */
public final class Functional {
    private Functional() {
    }

    /**
     * 2-D convolution of input {@code [N, C_in, H, W]} with weight {@code [C_out, C_in/groups, kH, kW]}.
     *
     * @param bias null for none
     */
    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return Convolution.conv2d(x, weight, bias, pair("stride", stride), pair("padding", padding),
                pair("dilation", dilation), groups);
    }

    public static Tensor conv2d(Tensor x, Tensor weight, Tensor bias, int stride, int padding) {
        return conv2d(x, weight, bias, new int[] {stride}, new int[] {padding}, new int[] {1}, 1);
    }

    /**
     * {@code conv2d(fakeQuantize(x, q), weight, bias, …)} as one op: the quantized input is never
     * materialised or kept for backward (quantized convolutions of QAT models use it). Values and
     * gradients equal the unfused pair's.
     */
    public static Tensor conv2dFakeQuantInput(Tensor x, FakeQuantSpec q, Tensor weight, Tensor bias, int[] stride,
                                              int[] padding, int[] dilation, int groups) {
        return Convolution.conv2dFakeQuantInput(x, q, weight, bias, pair("stride", stride), pair("padding", padding),
                pair("dilation", dilation), groups);
    }

    /**
     * Convolution with its epilogue: {@code conv2d(x, weight, bias) + residual}, then ReLU when
     * {@code relu}; residual (the output's shape) and bias may be null. The backend writes each
     * output value once (eval-mode models with batch norm folded into the weights use it); the
     * backward applies the ReLU mask once and runs the convolution's gradients on it.
     */
    public static Tensor conv2dFused(Tensor x, Tensor weight, Tensor bias, Tensor residual, boolean relu, int[] stride,
                                     int[] padding, int[] dilation, int groups) {
        return Convolution.conv2dFused(x, weight, bias, residual, relu, pair("stride", stride), pair("padding", padding),
                pair("dilation", dilation), groups);
    }

    /** {@code x·weightᵀ + bias} over the last dimension; weight is {@code [out, in]}, bias may be null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        if (weight.dim() != 2 || x.dim() < 1 || x.size(-1) != weight.size(1)) {
            throw new IllegalArgumentException("linear: input " + Shape.str(x.shape) + " does not match weight "
                    + Shape.str(weight.shape) + " ([out_features, in_features])");
        }
        Tensor y = x.matmul(weight.t());
        if (bias != null) {
            if (bias.dim() != 1 || bias.size(0) != weight.size(0)) {
                throw new IllegalArgumentException("linear: bias " + Shape.str(bias.shape) + " does not match weight " + Shape.str(weight.shape));
            }
            y = y.add(bias);
        }
        return y;
    }

    public static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        return Pooling.maxPool2d(x, pair("kernel", kernel), pair("stride", stride), pair("padding", padding));
    }

    public static Tensor maxPool2d(Tensor x, int kernel, int stride, int padding) {
        return maxPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding});
    }

    /** Average pooling with padding counted in the divisor (PyTorch's default). */
    public static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        return Pooling.avgPool2d(x, pair("kernel", kernel), pair("stride", stride), pair("padding", padding));
    }

    public static Tensor avgPool2d(Tensor x, int kernel, int stride, int padding) {
        return avgPool2d(x, new int[] {kernel}, new int[] {stride}, new int[] {padding});
    }

    /** {@code AdaptiveAvgPool2d(1)}: {@code [N, C, H, W] -> [N, C, 1, 1]}. */
    public static Tensor globalAvgPool2d(Tensor x) {
        return Pooling.globalAvgPool2d(x);
    }

    /**
     * Batch normalisation over dimension 1. In training mode it normalises with batch statistics
     * and updates the running ones in place (unbiased variance, as PyTorch); in eval mode it uses
     * the running statistics. Weight, bias and the running tensors may be null.
     */
    public static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor weight, Tensor bias,
                                   boolean training, float momentum, float eps) {
        return Normalization.batchNorm(x, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    /**
     * {@code relu(batchNorm(x, …) + residual)} in one fused op (residual may be null): the end of a
     * ResNet block. Same arguments and running-statistics update as {@link #batchNorm}.
     */
    public static Tensor batchNormRelu(Tensor x, Tensor residual, Tensor runningMean, Tensor runningVar,
                                       Tensor weight, Tensor bias, boolean training, float momentum, float eps) {
        return Normalization.batchNormRelu(x, residual, runningMean, runningVar, weight, bias, training, momentum, eps);
    }

    public static Tensor relu(Tensor x) {
        return x.relu();
    }

    public static Tensor softmax(Tensor x, int dim) {
        return x.softmax(dim);
    }

    public static Tensor logSoftmax(Tensor x, int dim) {
        return x.logSoftmax(dim);
    }

    /** Mean cross-entropy of logits {@code [N, C]} against class indices. */
    public static Tensor crossEntropy(Tensor logits, int[] target) {
        return Losses.crossEntropy(logits, target, 0f);
    }

    /** Cross-entropy with label smoothing ε: targets become (1-ε)·one-hot + ε/C. */
    public static Tensor crossEntropy(Tensor logits, int[] target, float labelSmoothing) {
        return Losses.crossEntropy(logits, target, labelSmoothing);
    }

    /** Cross-entropy with targets given as a tensor of integer class indices. */
    public static Tensor crossEntropy(Tensor logits, Tensor target) {
        int classes = logits.dim() == 2 ? logits.size(1) : 0;
        return Losses.crossEntropy(logits, Shapes.toIndices("crossEntropy", target, Math.max(classes, 1)), 0f);
    }

    /** The distillation loss {@code T²·KL(softmax(teacher/T) ‖ softmax(student/T))}, batch mean. */
    public static Tensor distillationLoss(Tensor student, Tensor teacher, float temperature) {
        return Losses.distillation(student, teacher, temperature, true);
    }

    /** The same KL without the T² factor when {@code scaleByT2} is false. */
    public static Tensor distillationLoss(Tensor student, Tensor teacher, float temperature, boolean scaleByT2) {
        return Losses.distillation(student, teacher, temperature, scaleByT2);
    }

    public static Tensor mseLoss(Tensor input, Tensor target) {
        return Losses.mse(input, target);
    }

    /**
     * Uniform fake quantization {@code y = rint(clamp((x − β)/s, qmin, qmax))·s + β} in one fused
     * kernel, with the straight-through gradient for x and LSQ's gradient for s and β (scaled by
     * {@code gradScale}). {@code axis} is the channel axis for per-channel scales, or -1 for one
     * scale per tensor; offset may be null. With {@code stepGradInside = false} the step gets no
     * gradient from inside the range (PACT's clip gradient).
     */
    public static Tensor fakeQuantize(Tensor x, Tensor scale, Tensor offset, int axis, float qmin, float qmax,
                                      float gradScale, boolean stepGradInside) {
        return FakeQuant.fakeQuantize(x, scale, offset, axis, qmin, qmax, gradScale, stepGradInside);
    }

    /** Expands a one- or two-element size argument to (height, width). */
    static int[] pair(String name, int[] v) {
        if (v.length == 1) {
            return new int[] {v[0], v[0]};
        }
        if (v.length == 2) {
            return v.clone();
        }
        throw new IllegalArgumentException(name + " must have one or two values, got " + java.util.Arrays.toString(v));
    }
}
