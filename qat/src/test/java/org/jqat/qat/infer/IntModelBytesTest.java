package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.export.QatExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The integer engine's byte counts: weight codes shrink with the bit width, everything else does not. */
class IntModelBytesTest {
    @TempDir
    Path tmp;

    private IntModel load(int bits) {
        MnistCnn q = Qat.convert(new MnistCnn(new Rng(1)), QatConfig.builder().bits(bits).build());
        try (var ng = Autograd.noGrad()) {
            q.forward(Tensor.randn(new Rng(2), 4, 1, 28, 28)); // LSQ initialises its steps
        }
        q.eval();
        Path file = tmp.resolve("w" + bits + ".safetensors");
        QatExport.export(q, file);
        return IntModel.load(file, q);
    }

    @Test
    void codesScaleWithBitsAndTheRestStaysTheSame() {
        IntModel w8 = load(8);
        IntModel w4 = load(4);
        IntModel w2 = load(2);
        // MnistCnn's integer layers (conv2: 32·16·25 codes, fc1: 128·1568) have code counts divisible by 4: exact halving
        assertEquals(w8.weightBytes(), 2 * w4.weightBytes());
        assertEquals(w4.weightBytes(), 2 * w2.weightBytes());
        long rest = w8.memoryBytes() - w8.weightBytes();
        assertTrue(rest > 0, "float first/last layers and requantization constants are counted");
        assertEquals(rest, w4.memoryBytes() - w4.weightBytes());
        assertEquals(rest, w2.memoryBytes() - w2.weightBytes());
    }
}
