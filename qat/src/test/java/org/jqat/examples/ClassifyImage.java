package org.jqat.examples;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.jqat.core.Tensor;
import org.jqat.datasets.transforms.Presets;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.infer.IntModel;

/** Example: load an exported integer model and classify a 32×32 RGB image file with integer arithmetic. */
public final class ClassifyImage {
    public static int run(Path model, Path image) throws IOException {
        IntModel m = IntModel.load(model, Qat.convert(QatAndExport.floatModel(), QatAndExport.config()));
        BufferedImage img = ImageIO.read(image.toFile());
        float[] px = new float[3 * 32 * 32];
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int rgb = img.getRGB(x, y);
                px[y * 32 + x] = (rgb >> 16) & 0xFF;
                px[(32 + y) * 32 + x] = (rgb >> 8) & 0xFF;
                px[(64 + y) * 32 + x] = rgb & 0xFF;
            }
        }
        var normalised = Presets.forDataset("cifar10", false)
                .apply(new org.jqat.datasets.transforms.Image(px, 3, 32, 32), new org.jqat.core.Rng(0));
        int cls = m.predict(Tensor.of(normalised.data(), 1, 3, 32, 32))[0];
        System.out.println(image + ": class " + cls);
        return cls;
    }

    public static void main(String[] args) throws IOException {
        run(Path.of(args[0]), Path.of(args[1]));
    }
}
