package org.jqat.qat.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Locale;
import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.convert.LayerPolicy;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.jqat.qat.export.QatExport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The integer engine agrees with the fake-quantized model (eval mode): a small zoo model, converted
 * (LSQ W4A4 / W2A2, per tensor / per channel), a few SGD steps off init, exported, loaded into the
 * integer engine. Top-1 must agree on ≥ 99.9% of the images; the largest logit difference is printed.
 */
class IntegerAgreementTest {
    @TempDir
    Path tmp;

    /** Class-structured images so a few steps teach the model something (not pure noise logits). */
    private static Tensor images(Rng rng, int n, int c, int hw, int[] labels) {
        Tensor x = Tensor.randn(rng, n, c, hw, hw);
        float[] v = x.toFloatArray();
        int per = c * hw * hw;
        for (int i = 0; i < n; i++) {
            int y = labels[i];
            for (int j = 0; j < per; j++) {
                v[i * per + j] += (j % 10 == y ? 3f : 0f);
            }
        }
        return Tensor.of(v, n, c, hw, hw);
    }

    private static <M extends Module> M train(M q, int c, int hw, long seed) {
        SGD opt = new SGD(Qat.paramGroups(q, 0.05, 5e-4, 0.01), 0.9, 0, false);
        Rng rng = new Rng(seed);
        q.train();
        for (int step = 0; step < 8; step++) {
            int[] y = new int[16];
            for (int i = 0; i < y.length; i++) {
                y[i] = (int) Math.floorMod(rng.nextLong(), 10L);
            }
            Tensor x = images(rng, 16, c, hw, y);
            opt.zeroGrad();
            Functional.crossEntropy(q.forward(x), y).backward();
            opt.step();
        }
        q.eval();
        return q;
    }

    private void agree(String tag, Module q, int c, int hw, int images) {
        Path file = tmp.resolve(tag + ".safetensors");
        QatExport.export(q, file);
        IntModel im = IntModel.load(file, q);
        Rng rng = new Rng(99);
        int[] y = new int[images];
        for (int i = 0; i < images; i++) {
            y[i] = i % 10;
        }
        Tensor x = images(rng, images, c, hw, y);
        float[] ref;
        try (var ng = Autograd.noGrad()) {
            ref = q.forward(x).toFloatArray();
        }
        float[] got = im.logits(x).toFloatArray();
        Agreement agreement = new Agreement();
        agreement.add(ref, got, ref.length / images, null);
        System.out.printf(Locale.ROOT, "integer vs fake-quant %-28s %s, weights %d bytes%n", tag, agreement, im.weightBytes());
        assertTrue(agreement.rate() >= 0.999, tag + ": " + agreement);
        // the scalar twins give the same logits bit for bit
        IntModel scalar = IntModel.load(file, q, false);
        Tensor few = x.slice(0, 0, 4);
        assertEquals(java.util.Arrays.toString(im.logits(few).toFloatArray()), java.util.Arrays.toString(scalar.logits(few).toFloatArray()));
    }

    private static QatConfig lsq(int bits, boolean perChannel, LayerPolicy firstLast) {
        return QatConfig.builder().method(QatMethod.LSQ).bits(bits).perChannelWeights(perChannel).firstLast(firstLast).build();
    }

    @Test
    void resnet8W4A4PerTensor() {
        CifarResNet q = train(Qat.convert(new CifarResNet(8, CifarResNet.Shortcut.A, new Rng(1)), lsq(4, false, LayerPolicy.FULL_PRECISION)), 3, 16, 2);
        agree("resnet8-A-w4a4-tensor", q, 3, 16, 1000);
    }

    @Test
    void resnet8W2A2PerChannelOptionB() {
        CifarResNet q = train(Qat.convert(new CifarResNet(8, CifarResNet.Shortcut.B, new Rng(3)), lsq(2, true, LayerPolicy.FULL_PRECISION)), 3, 16, 4);
        agree("resnet8-B-w2a2-channel", q, 3, 16, 1000);
    }

    @Test
    void resnet8EightBitFirstLast() {
        CifarResNet q = train(Qat.convert(new CifarResNet(8, CifarResNet.Shortcut.B, new Rng(5)), lsq(4, true, LayerPolicy.EIGHT_BIT)), 3, 16, 6);
        agree("resnet8-B-w4a4-8bit-first-last", q, 3, 16, 1000);
    }

    /** Two blocks a stage: identity blocks pass the stream to each other in the grid layout, bit for bit as the scalar twin's dense one. */
    @Test
    void resnet14GridStreamMatchesTheScalarTwin() {
        for (int bits : new int[] {8, 4, 2}) {
            CifarResNet q = train(Qat.convert(new CifarResNet(14, CifarResNet.Shortcut.A, new Rng(11)), lsq(bits, false, LayerPolicy.FULL_PRECISION)),
                    3, 16, 12);
            Path file = tmp.resolve("resnet14-w" + bits + ".safetensors");
            QatExport.export(q, file);
            IntModel simd = IntModel.load(file, q);
            IntModel scalar = IntModel.load(file, q, false);
            int[] y = {0, 1, 2, 3, 4, 5, 6};
            Tensor x = images(new Rng(13), y.length, 3, 16, y);
            String expected = java.util.Arrays.toString(scalar.logits(x).toFloatArray());
            assertEquals(expected, java.util.Arrays.toString(simd.logits(x).toFloatArray()), "W" + bits + "A" + bits);
            assertEquals(expected, java.util.Arrays.toString(simd.chunk(3).logits(x).toFloatArray()), "W" + bits + "A" + bits + ", chunks of 3");
            if (bits == 2) {
                // the bit-serial tiles on whatever CPU runs the tests (by default only where it counts bits in vectors)
                IntModel serial = BitSerialTest.with("on", () -> IntModel.load(file, q));
                assertTrue(serial.describe().stream().anyMatch(d -> d.contains("bit-serial")), String.join("\n", serial.describe()));
                assertEquals(expected, java.util.Arrays.toString(serial.logits(x).toFloatArray()), "W2A2 bit-serial");
            }
        }
    }

    @Test
    void mnistCnnW4A4AndW2A2() {
        MnistCnn q4 = train(Qat.convert(new MnistCnn(new Rng(7)), lsq(4, true, LayerPolicy.FULL_PRECISION)), 1, 28, 8);
        agree("mnist-cnn-w4a4-channel", q4, 1, 28, 1000);
        MnistCnn q2 = train(Qat.convert(new MnistCnn(new Rng(9)), lsq(2, false, LayerPolicy.FULL_PRECISION)), 1, 28, 10);
        agree("mnist-cnn-w2a2-tensor", q2, 1, 28, 1000);
    }

    @Test
    void unsupportedMethodNamesTheLayer() {
        MnistCnn q = train(Qat.convert(new MnistCnn(new Rng(7)),
                QatConfig.builder().method(QatMethod.LSQ_PLUS).bits(4).build()), 1, 28, 8);
        Path file = tmp.resolve("lsqplus.safetensors");
        QatExport.export(q, file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IntModel.load(file, q));
        assertTrue(e.getMessage().contains("conv2"), e.getMessage());
    }
}
