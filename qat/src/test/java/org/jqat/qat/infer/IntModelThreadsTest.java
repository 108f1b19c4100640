package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.Threads;
import org.jqat.nn.Module;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.export.QatExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The integer engine's batch loop runs on {@link Threads#count()} threads, with the same logits whatever the count and the chunking. */
class IntModelThreadsTest {
    @TempDir
    Path tmp;

    @Test
    void logitsDoNotDependOnTheThreadCountOrChunks() {
        QatConfig cfg = QatConfig.builder().bits(4).build();
        Module q = Qat.convert(new MnistCnn(new Rng(0)), cfg);
        Tensor x = Tensor.randn(new Rng(1), 7, 1, 28, 28);
        q.train();
        try (var ng = Autograd.noGrad()) {
            q.forward(x);
        }
        q.eval();
        Path file = tmp.resolve("m.safetensors");
        QatExport.export(q, file);
        IntModel m = IntModel.load(file, Qat.convert(new MnistCnn(new Rng(0)), cfg));
        int before = Threads.count();
        try {
            Threads.set(1);
            float[] one = m.logits(x).toFloatArray();
            Threads.set(3);
            float[] three = m.logits(x).toFloatArray();
            assertArrayEquals(one, three, 0f);
            // chunks of 3 images (3 + 3 + 1), each through the whole network on one thread
            float[] chunked = m.chunk(3).logits(x).toFloatArray();
            assertArrayEquals(one, chunked, 0f);
            float[] whole = m.chunk(Integer.MAX_VALUE).logits(x).toFloatArray();
            assertArrayEquals(one, whole, 0f);
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> m.chunk(0));
        } finally {
            Threads.set(before);
        }
    }
}
