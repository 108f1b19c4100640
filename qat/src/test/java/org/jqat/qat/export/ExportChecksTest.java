package org.jqat.qat.export;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.LayerPolicy;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.jqat.qat.infer.IntModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An export that could be silently wrong is refused: never-run quantizers, nothing quantized, a mismatched template. */
class ExportChecksTest {
    @TempDir
    Path tmp;

    private static QatConfig lsq(int bits) {
        return QatConfig.builder().method(QatMethod.LSQ).bits(bits).build();
    }

    /** One training-mode forward pass: LSQ steps and min/max ranges are set from the data. */
    private static Module calibrated(Module q) {
        q.train();
        try (var ng = Autograd.noGrad()) {
            q.forward(Tensor.randn(new Rng(3), 4, 1, 28, 28));
        }
        q.eval();
        return q;
    }

    @Test
    void quantizersThatNeverRanAreRefused() {
        Module q = Qat.convert(new MnistCnn(new Rng(0)), lsq(4));
        Path out = tmp.resolve("never-ran.safetensors");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> QatExport.export(q, out));
        assertTrue(e.getMessage().contains("quantizer") && e.getMessage().contains("never seen data"), e.getMessage());
        assertFalse(Files.exists(out), "nothing is written");
    }

    @Test
    void aModelWithNothingQuantizedIsRefused() {
        Path out = tmp.resolve("float.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QatExport.export(new MnistCnn(new Rng(0)), out));
        assertTrue(e.getMessage().contains("no quantized layer"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    @Test
    void aTemplateConvertedWithOtherBitsIsRefused() {
        Path file = tmp.resolve("w4a4.safetensors");
        QatExport.export(calibrated(Qat.convert(new MnistCnn(new Rng(0)), lsq(4))), file);
        IntModel.load(file, Qat.convert(new MnistCnn(new Rng(0)), lsq(4))); // the right template loads
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> IntModel.load(file, Qat.convert(new MnistCnn(new Rng(0)), lsq(2))));
        assertTrue(e.getMessage().contains("quantized differently") && e.getMessage().contains("4 bits in the file")
                && e.getMessage().contains("2 bits in the template"), e.getMessage());
        // another set of quantized layers: the template keeps the first and last layers in float
        QatConfig floatEnds = QatConfig.builder().method(QatMethod.LSQ).bits(4).firstLast(LayerPolicy.FULL_PRECISION).build();
        QatConfig allQuantized = QatConfig.builder().method(QatMethod.LSQ).bits(4).firstLast(LayerPolicy.SAME).build();
        Path all = tmp.resolve("all.safetensors");
        QatExport.export(calibrated(Qat.convert(new MnistCnn(new Rng(0)), allQuantized)), all);
        IllegalArgumentException layers = assertThrows(IllegalArgumentException.class,
                () -> QatExport.load(all, Qat.convert(new MnistCnn(new Rng(0)), floatEnds)));
        assertTrue(layers.getMessage().contains("quantized differently"), layers.getMessage());
    }
}
