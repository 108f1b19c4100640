package org.jqat.qat.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.export.QatExport;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jqat export (QAT checkpoint → integer model file) and jqat infer (image file, test split). */
class ExportInferCommandTest {
    @TempDir
    Path tmp;

    /** A QAT MnistCnn checkpoint (LSQ W4A4, as jqat qat --model mnist-cnn would write it), a few steps off init. */
    private Path checkpoint() {
        MnistCnn q = Qat.convert(new MnistCnn(new Rng(0)), QatConfig.builder().bits(4).build());
        SGD opt = new SGD(Qat.paramGroups(q, 0.05, 0, 0.01), 0.9, 0, false);
        Rng rng = new Rng(1);
        for (int s = 0; s < 2; s++) {
            opt.zeroGrad();
            Functional.crossEntropy(q.forward(Tensor.randn(rng, 8, 1, 28, 28)), new int[] {0, 1, 2, 3, 4, 5, 6, 7}).backward();
            opt.step();
        }
        Path ck = tmp.resolve("last.safetensors");
        Checkpoint.save(ck, q, null, null, 1, null, Map.of());
        return ck;
    }

    private Path export() {
        Path out = tmp.resolve("mnist-w4a4.int.safetensors");
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("export", "--model", "mnist-cnn", "--dataset", "mnist", "--method", "lsq",
                "--wbits", "4", "--abits", "4", "--checkpoint", checkpoint().toString(), "--out", out.toString())));
        assertTrue(o.contains("integer layers"), o);
        return out;
    }

    @Test
    void exportWritesTheIntegerLayersAndTheArchitecture() {
        Path out = export();
        assertEquals(java.util.List.of("conv2", "fc1"), QatExport.layers(out));
    }

    @Test
    void inferClassifiesAnImageFile() throws Exception {
        Path model = export();
        BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        for (int y = 8; y < 32; y++) {
            img.setRGB(20, y, 0xFFFFFF);
            img.setRGB(21, y, 0xFFFFFF);
        }
        Path png = tmp.resolve("one.png");
        ImageIO.write(img, "png", png.toFile());
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("infer", model.toString(), "--image", png.toString())));
        assertTrue(o.matches("(?s).*one\\.png: class \\d \\(\\d\\).*"), o);
        // --layers names each conv's arithmetic first
        String layers = Console.stdoutOf(() -> assertEquals(0, Main.run("infer", model.toString(), "--image", png.toString(), "--layers")));
        assertTrue(layers.matches("(?s)float conv1.*conv2: int conv W4 \\(int16 x\\d+\\).*fc1: int conv W4 .*one\\.png: class .*"), layers);
    }

    @Test
    void inferOnTheMnistTestSplit() {
        Path data = TrainCommandTest.sharedDatasets();
        Assumptions.assumeTrue(data != null && Files.isDirectory(data.resolve("mnist")), "no shared MNIST");
        Path model = export();
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("infer", model.toString(), "--data-dir", data.toString(), "--no-download",
                "--limit", "200", "--workers", "1")));
        assertTrue(o.contains("mnist test (200 images): integer top1"), o);
    }

    @Test
    void inferComparesTheIntegerModelWithTheFakeQuantizedOne() {
        Path data = TrainCommandTest.sharedDatasets();
        Assumptions.assumeTrue(data != null && Files.isDirectory(data.resolve("mnist")), "no shared MNIST");
        Path model = export();
        String o = Console.stdoutOf(() -> assertEquals(0, Main.run("infer", model.toString(), "--data-dir", data.toString(), "--no-download",
                "--limit", "300", "--workers", "1", "--compare")));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("top-1 agreement (\\d+)/300").matcher(o);
        assertTrue(m.find(), o);
        assertTrue(Integer.parseInt(m.group(1)) >= 297, o);
        assertTrue(o.contains("fake-quantized model top1"), o);
    }
}
