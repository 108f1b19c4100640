package org.example.consumer;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.Threads;
import org.jqat.core.backend.Backends;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.IntModel;
import org.jqat.qat.train.Evaluation;
import org.jqat.qat.train.Objective;
import org.jqat.qat.train.Supervised;

/**
 * What a user's program does with jqat: QAT-train a small CNN on tensors, export it, run it with
 * integer arithmetic, and check that the integer model agrees with the fake-quantized one. Prints
 * where it ran (class path or module path, which host backend) and exits non-zero on any failure.
 *
 * <p>Argument: the host backend expected ({@code cpu} or {@code reference}).
 */
public final class Main {
    public static void main(String[] args) throws Exception {
        String expected = args.length > 0 ? args[0] : "cpu";
        Threads.set(2);
        String layout = Main.class.getModule().isNamed() ? "module path" : "class path";
        String backend = Backends.cpu().name();
        System.out.println("consumer on the " + layout + ", host backend " + backend + ", " + Threads.count() + " threads");
        if (!backend.equals(expected)) {
            throw new IllegalStateException("expected the '" + expected + "' backend, got '" + backend + "'");
        }

        QatConfig config = QatConfig.builder().bits(4).build();
        MnistCnn fp = new MnistCnn(new Rng(0));
        MnistCnn q = Qat.convert(fp, config);
        Tensor images = Tensor.randn(new Rng(1), 8, 1, 28, 28);
        int[] labels = {0, 1, 2, 3, 4, 5, 6, 7};
        SGD opt = new SGD(Qat.paramGroups(q, 0.01, 5e-4, 0.001), 0.9, 0, false);
        Supervised objective = new Supervised(q, 0f);
        q.train();
        for (int step = 0; step < 3; step++) {
            opt.zeroGrad();
            Objective.StepResult r = objective.forward(images, labels);
            r.loss().backward();
            opt.step();
        }
        q.eval();
        System.out.printf("fake-quant top-1 on its batch: %.1f%%%n", Evaluation.evaluate(q, images, labels).top1());

        Path file = Files.createTempFile("jqat-consumer", ".safetensors");
        try {
            QatExport.export(q, file);
            IntModel integer = IntModel.load(file, Qat.convert(fp, config));
            int[] intClasses = integer.predict(images);
            int[] fakeClasses;
            try (var ng = Autograd.noGrad()) {
                fakeClasses = IntModel.argmax(q.forward(images));
            }
            int agree = 0;
            for (int i = 0; i < intClasses.length; i++) {
                agree += intClasses[i] == fakeClasses[i] ? 1 : 0;
            }
            System.out.println("integer vs fake-quant agreement: " + agree + "/" + intClasses.length);
            if (agree < intClasses.length - 1) {
                throw new IllegalStateException("the integer model disagrees with the fake-quantized one on " + (intClasses.length - agree) + " images");
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.out.println("consumer OK");
    }
}
