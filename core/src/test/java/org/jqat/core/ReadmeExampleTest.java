package org.jqat.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The Java snippet in README.md, kept compiling and working. */
class ReadmeExampleTest {

    @Test
    void readmeSnippetTrains() {
        Tensor w = Tensor.randn(new Rng(0), 10, 784).mul(0.01f).requiresGrad(true);
        Tensor b = Tensor.zeros(10).requiresGrad(true);
        Tensor x = Tensor.rand(new Rng(1), 32, 784);
        int[] labels = new int[32];
        float first = 0;
        float last = 0;
        for (int step = 0; step < 5; step++) {
            w.zeroGrad();
            b.zeroGrad();
            Tensor loss = Functional.crossEntropy(Functional.linear(x, w, b), labels);
            loss.backward();
            try (var ng = Autograd.noGrad()) {
                w.addInPlace_(w.grad().mul(-0.1f));
                b.addInPlace_(b.grad().mul(-0.1f));
            }
            if (step == 0) {
                first = loss.item();
            }
            last = loss.item();
        }
        assertTrue(last < first, "loss should fall: " + first + " -> " + last);
    }
}
