package org.jqat.nn.infer;

import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;

/**
 * An eval-mode {@code Conv2d} with the {@code BatchNorm2d} that follows it folded into its weight
 * and bias, and the block's epilogue (residual add, ReLU) applied as the output is stored
 * ({@link Functional#conv2dFused}): one pass over the output instead of three.
 *
 * <p>Folding, per output channel c, with {@code k = γ_c/√(σ²_c + ε)}: {@code w'_c = k·w_c} and
 * {@code b'_c = β_c + k·(b_c − μ_c)}, computed in double and rounded once to float, so the folded
 * layer differs from conv-then-batch-norm only by float rounding (about 1e-6 relative).
 */
public final class FoldedConv extends Module {
    private final int[] stride;
    private final int[] padding;
    private final int[] dilation;
    private final int groups;
    private final boolean relu;

    private FoldedConv(Tensor weight, Tensor bias, Conv2d conv, boolean relu) {
        this.stride = new int[] {conv.stride};
        this.padding = new int[] {conv.padding};
        this.dilation = new int[] {conv.dilation};
        this.groups = conv.groups;
        this.relu = relu;
        registerBuffer("weight", weight);
        registerBuffer("bias", bias);
    }

    /**
     * {@code conv} then {@code bn} (eval mode, running statistics; null: no batch norm), then
     * ReLU when {@code relu}, as one layer. The tensors are new: later changes to conv or bn are not seen.
     *
     * @throws IllegalArgumentException when bn's channel count is not conv's output channels
     */
    public static FoldedConv of(Conv2d conv, BatchNorm2d bn, boolean relu) {
        float[] w = conv.weight().contiguous().toFloatArray();
        int out = conv.outChannels;
        int per = w.length / out;
        float[] b = conv.bias() == null ? new float[out] : conv.bias().toFloatArray();
        if (bn != null) {
            if (bn.channels != out) {
                throw new IllegalArgumentException("cannot fold " + bn.channels + "-channel batch norm into a conv with "
                        + out + " output channels");
            }
            float[] mean = bn.runningMean().toFloatArray();
            float[] var = bn.runningVar().toFloatArray();
            float[] gamma = bn.weight() == null ? null : bn.weight().toFloatArray();
            float[] beta = bn.bias() == null ? null : bn.bias().toFloatArray();
            for (int c = 0; c < out; c++) {
                double k = (gamma == null ? 1.0 : gamma[c]) / Math.sqrt((double) var[c] + bn.eps);
                for (int i = c * per; i < (c + 1) * per; i++) {
                    w[i] = (float) (k * w[i]);
                }
                b[c] = (float) ((beta == null ? 0.0 : beta[c]) + k * ((double) b[c] - mean[c]));
            }
        }
        Tensor weight = Tensor.of(w, conv.weight().shape()).to(conv.weight().device());
        Tensor bias = Tensor.of(b, out).to(conv.weight().device());
        // folded once and never written again: a backend may keep its packing of them
        weight.storage().markConstant();
        return new FoldedConv(weight, bias, conv, relu);
    }

    public Tensor weight() {
        return buffer("weight");
    }

    public Tensor bias() {
        return buffer("bias");
    }

    /** Whether ReLU ends this layer. */
    public boolean relu() {
        return relu;
    }

    @Override
    public Tensor forward(Tensor x) {
        return Functional.conv2dFused(x, weight(), bias(), null, relu, stride, padding, dilation, groups);
    }

    /** {@code relu(conv(x) + residual)}: the end of a residual block. */
    public Tensor forwardAddRelu(Tensor x, Tensor residual) {
        return Functional.conv2dFused(x, weight(), bias(), residual, true, stride, padding, dilation, groups);
    }

    @Override
    protected String describe() {
        int[] s = weight().shape();
        return "FoldedConv(" + s[1] * groups + ", " + s[0] + ", kernel=" + s[2] + ", stride=" + stride[0] + ", padding="
                + padding[0] + (groups != 1 ? ", groups=" + groups : "") + (relu ? ", relu" : "") + ")";
    }
}
