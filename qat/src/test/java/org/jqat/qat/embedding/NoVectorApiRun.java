package org.jqat.qat.embedding;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.nn.Module;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.IntModel;

/**
 * Run by {@link NoVectorApiTest} in a JVM started on the class path without
 * {@code --add-modules jdk.incubator.vector}, as an IDE or {@code mvn exec:java} would: reports the
 * cpu backend's reason, trains a step, exports and runs the integer model, and prints
 * {@code done} when nothing failed.
 */
public final class NoVectorApiRun {
    public static void main(String[] args) throws Exception {
        for (Backend b : Backends.all()) {
            if (b.name().equals("cpu")) {
                System.out.println("cpu unavailable: " + b.unavailableReason());
            }
        }
        Module q = Qat.convert(new MnistCnn(new Rng(0)), QatConfig.builder().bits(4).build());
        q.train();
        Tensor x = Tensor.randn(new Rng(1), 4, 1, 28, 28);
        Tensor loss = Functional.crossEntropy(q.forward(x), new int[] {0, 1, 2, 3});
        loss.backward();
        System.out.println("host backend: " + Backends.cpu().name());
        System.out.println("loss finite: " + Float.isFinite(loss.item()));
        q.eval();
        Path file = Files.createTempFile("novector", ".safetensors");
        try {
            QatExport.export(q, file);
            IntModel m = IntModel.load(file, Qat.convert(new MnistCnn(new Rng(0)), QatConfig.builder().bits(4).build()));
            int[] classes = m.predict(x);
            System.out.println("integer classes: " + classes.length);
            // a second host op must not warn again
            try (var ng = Autograd.noGrad()) {
                q.forward(x);
            }
        } finally {
            Files.deleteIfExists(file);
        }
        System.out.println("done");
    }
}
