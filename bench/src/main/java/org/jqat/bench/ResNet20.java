package org.jqat.bench;

import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Autograd;
import org.jqat.core.FakeQuantSpec;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;

/**
 * CIFAR ResNet-20 built straight from {@link Functional} ops (conv/bn/relu basic blocks, 1×1
 * conv shortcuts where the shape changes, global average pool, linear), with an optional 4-bit
 * LSQ fake-quant on the weights and input activations of every conv except the stem. The
 * PyTorch twin in {@code bench/pytorch_side.py} builds exactly the same graph.
 */
public final class ResNet20 {
    private final List<Tensor> params = new ArrayList<>();
    private final List<Tensor[]> bn = new ArrayList<>(); // {gamma, beta, runningMean, runningVar}
    private final boolean quant;
    private final Tensor stem;
    private final List<Tensor[]> blocks = new ArrayList<>(); // {w1, w2, shortcut or null, stepW1, stepA1, stepW2, stepA2, stepWs}
    private final List<int[]> blockCfg = new ArrayList<>();  // {stride}
    private final Tensor fc;
    private final Tensor fcb;
    private int bnIndex;

    public ResNet20(Rng rng, boolean quant) {
        this.quant = quant;
        stem = conv(rng, 16, 3, 3);
        newBn(16);
        int in = 16;
        for (int stage = 0; stage < 3; stage++) {
            int out = 16 << stage;
            for (int b = 0; b < 3; b++) {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                Tensor w1 = conv(rng, out, in, 3);
                newBn(out);
                Tensor w2 = conv(rng, out, out, 3);
                newBn(out);
                Tensor sc = null;
                if (stride != 1 || in != out) {
                    sc = conv(rng, out, in, 1);
                    newBn(out);
                }
                blocks.add(new Tensor[] {w1, w2, sc, step(), step(), step(), step(), step()});
                blockCfg.add(new int[] {stride});
                in = out;
            }
        }
        fc = param(Tensor.randn(rng, 10, 64).mul(0.1f));
        fcb = param(Tensor.zeros(10));
    }

    private Tensor param(Tensor t) {
        Tensor p = t.detach().requiresGrad(true);
        params.add(p);
        return p;
    }

    private Tensor conv(Rng rng, int out, int in, int k) {
        return param(Tensor.randn(rng, out, in, k, k).mul((float) Math.sqrt(2.0 / (in * k * k))));
    }

    private Tensor step() {
        return quant ? param(Tensor.of(0.05f)) : null;
    }

    private void newBn(int c) {
        bn.add(new Tensor[] {param(Tensor.ones(c)), param(Tensor.zeros(c)), Tensor.zeros(c), Tensor.ones(c)});
    }

    private Tensor bn(Tensor x) {
        Tensor[] p = bn.get(bnIndex++);
        return Functional.batchNorm(x, p[2], p[3], p[0], p[1], true, 0.1f, 1e-5f);
    }

    /** relu(bn(x) + residual), fused. */
    private Tensor bnRelu(Tensor x, Tensor residual) {
        Tensor[] p = bn.get(bnIndex++);
        return Functional.batchNormRelu(x, residual, p[2], p[3], p[0], p[1], true, 0.1f, 1e-5f);
    }

    private Tensor q(Tensor x, Tensor step, boolean weight) {
        if (!quant) {
            return x;
        }
        float qmin = weight ? -8 : 0, qmax = weight ? 7 : 15;
        float g = (float) (1.0 / Math.sqrt(x.numel() * qmax));
        return Functional.fakeQuantize(x, step, null, -1, qmin, qmax, g, true);
    }

    /** conv2d of q(x) with the activation fake-quant fused into the convolution (plain conv2d in FP32). */
    private Tensor qconv(Tensor x, Tensor step, Tensor w, int stride, int pad) {
        if (!quant) {
            return Functional.conv2d(x, w, null, stride, pad);
        }
        float g = (float) (1.0 / Math.sqrt(x.numel() * 15.0));
        int[] st = {stride}, p = {pad}, d = {1};
        return Functional.conv2dFakeQuantInput(x, new FakeQuantSpec(step, null, 0, 15, g, true), w, null, st, p, d, 1);
    }

    public Tensor forward(Tensor x) {
        bnIndex = 0;
        Tensor h = bnRelu(Functional.conv2d(x, stem, null, 1, 1), null);
        for (int i = 0; i < blocks.size(); i++) {
            Tensor[] b = blocks.get(i);
            int stride = blockCfg.get(i)[0];
            Tensor o = bnRelu(qconv(h, b[4], q(b[0], b[3], true), stride, 1), null);
            Tensor c2 = qconv(o, b[6], q(b[1], b[5], true), 1, 1);
            int bn2 = bnIndex++; // the second BN's parameters come before the shortcut's
            Tensor sc = b[2] == null ? h : bn(qconv(h, b[4], q(b[2], b[7], true), stride, 0));
            Tensor[] p = bn.get(bn2);
            h = Functional.batchNormRelu(c2, sc, p[2], p[3], p[0], p[1], true, 0.1f, 1e-5f);
        }
        Tensor pooled = Functional.globalAvgPool2d(h).flatten(1, 3);
        return Functional.linear(pooled, fc, fcb);
    }

    /** One SGD training step (forward, cross-entropy, backward, in-place update); returns the loss. */
    public float trainStep(Tensor images, int[] labels, float lr) {
        // As the Trainer does: the step's tensors are closed with its scope, so the cpu backend
        // reuses their arrays in the next step.
        try (TensorScope step = TensorScope.open()) {
            Tensor loss = Functional.crossEntropy(forward(images), labels);
            loss.backward();
            try (var ng = Autograd.noGrad()) {
                for (Tensor p : params) {
                    if (p.grad() != null) {
                        p.addInPlace_(p.grad().mul(-lr));
                    }
                }
            }
            for (Tensor p : params) {
                p.zeroGrad();
            }
            return loss.item();
        }
    }
}
