package org.jqat.qat.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.DType;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.nn.Module;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.convert.LayerOverride;
import org.jqat.qat.convert.LayerPolicy;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export → load gives the same outputs; the file layout is as documented. */
class QatExportTest {
    @TempDir
    Path tmp;

    @Test
    void packingLayoutIsLsbFirst() {
        // 4 bits: element 2j in the low nibble of byte j, 2j+1 in the high nibble
        assertArrayEquals(new byte[] {0x21, 0x43, 0x05}, BitPacking.pack(new int[] {1, 2, 3, 4, 5}, 4));
        assertArrayEquals(new byte[] {(byte) 0xF0}, BitPacking.pack(new int[] {0, 15}, 4));
        // 2 bits: elements 4j..4j+3 at bits 0-1, 2-3, 4-5, 6-7
        assertArrayEquals(new byte[] {(byte) 0xE4, 0x03}, BitPacking.pack(new int[] {0, 1, 2, 3, 3}, 2));
        assertArrayEquals(new byte[] {(byte) 0b1000_0001}, BitPacking.pack(new int[] {1, 0, 0, 0, 0, 0, 0, 1}, 1));
        int[] v = new int[37];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i * 7) % 16;
        }
        assertArrayEquals(v, BitPacking.unpack(BitPacking.pack(v, 4), v.length, 4));
        assertEquals(19, BitPacking.packedLength(37, 4));
        assertEquals(10, BitPacking.packedLength(37, 2));
    }

    /** A few SGD steps on random data so steps, clips and observers move off their initial values. */
    private static CifarResNet trained(QatConfig cfg) {
        CifarResNet q = Qat.convert(CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(11)), cfg);
        SGD opt = new SGD(Qat.paramGroups(q, 0.05, 5e-4, 0.01), 0.9, 0, false);
        Rng rng = new Rng(12);
        for (int step = 0; step < 3; step++) {
            Tensor x = Tensor.randn(rng, 4, 3, 8, 8);
            int[] y = {0, 3, 5, 7};
            opt.zeroGrad();
            Functional.crossEntropy(q.forward(x), y).backward();
            opt.step();
        }
        q.eval();
        return q;
    }

    private static double maxAbsDiff(Module a, Module b, Tensor x) {
        try (var ng = Autograd.noGrad()) {
            float[] ya = a.forward(x).toFloatArray();
            float[] yb = b.forward(x).toFloatArray();
            double d = 0;
            for (int i = 0; i < ya.length; i++) {
                d = Math.max(d, Math.abs(ya[i] - yb[i]));
            }
            return d;
        }
    }

    private void roundTrip(QatConfig cfg) {
        CifarResNet q = trained(cfg);
        Map<String, Tensor> stepsBefore = Qat.quantizerParameters(q);
        Path file = tmp.resolve(cfg.method() + "-" + cfg.weightBits() + ".safetensors");
        QatExport.export(q, file);
        CifarResNet template = Qat.convert(CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(99)), cfg);
        CifarResNet back = QatExport.load(file, template);
        back.eval();
        Tensor x = Tensor.randn(new Rng(13), 3, 3, 8, 8);
        double d = maxAbsDiff(q, back, x);
        assertTrue(d <= 1e-6, cfg.method() + " W" + cfg.weightBits() + ": max abs diff " + d);
        // steps were trained away from their initial values before export
        if (cfg.method() == QatMethod.LSQ) {
            Tensor s = stepsBefore.get("layer1.0.conv1.input_quantizer.step");
            assertTrue(s.grad() != null && s.grad().toFloatArray()[0] != 0f);
        }
        // the export does not change the exported model
        assertEquals(0.0, maxAbsDiff(q, q, x));
    }

    @Test
    void lsqFourBitRoundTripsThroughExport() throws Exception {
        QatConfig cfg = QatConfig.defaults();
        roundTrip(cfg);
        Path file = tmp.resolve("LSQ-4.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> md = f.metadata();
            assertEquals(QatExport.FORMAT, md.get("format"));
            List<String> layers = QatExport.layers(file);
            assertEquals(20, layers.size());
            assertTrue(!layers.contains("conv1") && !layers.contains("fc"));
            assertEquals("4", md.get("layer1.0.conv1.weight.bits"));
            assertEquals("packed4", md.get("layer1.0.conv1.weight.storage"));
            assertEquals("16,16,3,3", md.get("layer1.0.conv1.weight.shape"));
            assertEquals("-8", md.get("layer1.0.conv1.weight.code_min"));
            assertTrue(md.get("layer1.0.conv1.input_quantizer").startsWith("lsq bits=4 levels=[0,15]"));
            var codes = f.get("layer1.0.conv1.weight.codes");
            assertEquals(DType.U8, codes.dtype());
            assertArrayEquals(new int[] {16 * 16 * 9 / 2}, codes.shape());
            assertEquals(DType.F32, f.get("layer1.0.conv1.weight.scale").dtype());
            assertEquals(DType.F32, f.get("conv1.weight").dtype(), "first layer stays float");
            assertEquals(DType.F32, f.get("fc.weight").dtype(), "last layer stays float");
            assertEquals(DType.F32, f.get("bn1.running_mean").dtype());
            assertTrue(!f.contains("layer1.0.conv1.weight"));
        }
        assertTrue(Files.size(file) > 0);
        // the float state dict view loads into a freshly converted model (LSQ re-quantizes idempotently)
        CifarResNet fresh = Qat.convert(CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(3)), QatConfig.defaults());
        fresh.loadStateDict(QatExport.readStateDict(file), true);
        fresh.eval();
        CifarResNet viaLoad = QatExport.load(file, fresh);
        viaLoad.eval();
        assertTrue(maxAbsDiff(fresh, viaLoad, Tensor.randn(new Rng(4), 2, 3, 8, 8)) <= 1e-6);
    }

    @Test
    void otherWidthsAndMethodsRoundTrip() throws Exception {
        roundTrip(QatConfig.builder().bits(2).perChannelWeights(true).build());
        roundTrip(QatConfig.builder().method(QatMethod.MINMAX).bits(8).firstLast(LayerPolicy.EIGHT_BIT).build());
        roundTrip(QatConfig.builder().method(QatMethod.DOREFA_PACT).bits(4)
                .override(LayerOverride.of("layer3.**").weightBits(1)).build());
        roundTrip(QatConfig.builder().method(QatMethod.LSQ_PLUS).weightBits(5).activationBits(3).build());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("MINMAX-8.safetensors"))) {
            assertEquals(DType.I8, f.get("layer1.0.conv1.weight.codes").dtype());
            assertArrayEquals(new int[] {16, 16, 3, 3}, f.get("layer1.0.conv1.weight.codes").shape());
            assertArrayEquals(new int[] {16}, f.get("layer1.0.conv1.weight.scale").shape());
            assertEquals("0", f.metadata().get("layer1.0.conv1.weight.axis"));
            assertTrue(f.metadata().get("layer1.0.conv1.input_quantizer").startsWith("minmax bits=8"));
        }
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("LSQ-2.safetensors"))) {
            assertEquals("packed2", f.metadata().get("layer1.0.conv1.weight.storage"));
            assertArrayEquals(new int[] {16 * 16 * 9 / 4}, f.get("layer1.0.conv1.weight.codes").shape());
        }
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("DOREFA_PACT-4.safetensors"))) {
            assertEquals("packed1", f.metadata().get("layer3.1.conv1.weight.storage"));
            assertEquals(DType.F32, f.get("layer1.0.conv1.weight.offset").dtype());
        }
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("LSQ_PLUS-5.safetensors"))) {
            assertEquals("I8", f.metadata().get("layer1.0.conv1.weight.storage"));
        }
    }
}
