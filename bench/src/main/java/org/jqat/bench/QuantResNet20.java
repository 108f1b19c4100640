package org.jqat.bench;

import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;

/**
 * The zoo's CIFAR ResNet-20 (option A shortcuts) as float model and as LSQ QAT model exported for
 * the integer engine. The weights are random, but batch-norm statistics and LSQ step sizes come
 * from real forward passes, so requantization runs with realistic scales; the integer kernels'
 * cost does not depend on the values.
 */
final class QuantResNet20 {
    private QuantResNet20() {
    }

    /** A float ResNet-20 in eval mode with batch-norm statistics from a few training-mode passes. */
    static CifarResNet floatModel() {
        CifarResNet fp = new CifarResNet(20, CifarResNet.Shortcut.A, new Rng(20));
        settle(fp, new Rng(21));
        return fp;
    }

    /** A copy of {@code fp} converted to LSQ W{@code bits}A{@code bits} (first and last layer float, the default), settled, in eval mode. */
    static CifarResNet lsq(CifarResNet fp, int bits) {
        CifarResNet q = Qat.convert(fp.copy(), QatConfig.builder().bits(bits).build());
        settle(q, new Rng(22));
        return q;
    }

    /** Training-mode forward passes without gradients (LSQ initialises its steps, BN gathers statistics), then eval mode. */
    private static void settle(CifarResNet model, Rng rng) {
        model.train();
        try (var ng = Autograd.noGrad()) {
            for (int i = 0; i < 4; i++) {
                model.forward(Tensor.randn(rng, 64, 3, 32, 32));
            }
        }
        model.eval();
    }
}
