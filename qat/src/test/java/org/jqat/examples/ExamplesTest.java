package org.jqat.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's "Using jqat from Java" examples run and do what they say. */
class ExamplesTest {
    @TempDir
    Path tmp;

    @Test
    void trainFromJava() {
        assertTrue(Float.isFinite(TrainFromJava.run()));
    }

    @Test
    void pytorchWeights() {
        Path golden = Path.of("../testdata/golden/resnet20_cifar.safetensors");
        Assumptions.assumeTrue(Files.exists(golden), "golden file absent");
        assertTrue(PytorchWeights.run(golden) < 1e-3);
    }

    @Test
    void qatExportThenClassifyAnImage() throws Exception {
        Path model = tmp.resolve("resnet8.safetensors");
        QatAndExport.run(model);
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        img.setRGB(5, 5, 0xFF8040);
        Path png = tmp.resolve("x.png");
        ImageIO.write(img, "png", png.toFile());
        int cls = ClassifyImage.run(model, png);
        assertTrue(cls >= 0 && cls < 10);
    }

    @Test
    void trainWithTrainer() {
        double[] top1 = TrainWithTrainer.run(tmp.resolve("mnist-cnn.safetensors"));
        assertTrue(top1[0] > 30, "20 steps learn the bars well above chance (10%): " + top1[0]);
        assertEquals(top1[0], top1[1], 0, "the saved and reloaded model scores the same");
    }

    @Test
    void blockReplacementLoop() {
        int agree = BlockReplacementLoop.run(tmp.resolve("br.safetensors"));
        assertTrue(agree >= 14, agree + "/16 images agree between the integer and fake-quantized models");
    }

    @Test
    void threadsAndBackends() {
        assertTrue(ThreadsAndBackends.run() < 1e-3);
    }
}
