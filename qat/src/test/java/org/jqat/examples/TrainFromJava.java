package org.jqat.examples;

import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.MnistCnn;

/** Example: build a model and train it from Java (random data here; use a DataLoader for real data). */
public final class TrainFromJava {
    public static float run() {
        // [snippet:own-loop]
        MnistCnn model = new MnistCnn(new Rng(0));
        SGD opt = new SGD(model.parameters(), 0.05, 0.9, 5e-4, false);
        Rng rng = new Rng(1);
        Tensor x = Tensor.randn(rng, 16, 1, 28, 28);
        int[] y = new int[16];
        for (int i = 0; i < y.length; i++) {
            y[i] = i % 10;
        }
        float loss = 0;
        model.train();
        for (int step = 0; step < 5; step++) {
            opt.zeroGrad();
            Tensor l = Functional.crossEntropy(model.forward(x), y);
            l.backward();
            opt.step();
            loss = l.item();
            System.out.printf("step %d loss %.4f%n", step, loss);
        }
        // [/snippet]
        return loss;
    }

    public static void main(String[] args) {
        run();
    }
}
