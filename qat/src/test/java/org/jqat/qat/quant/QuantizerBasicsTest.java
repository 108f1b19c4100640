package org.jqat.qat.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.qat.convert.LayerOverride;
import org.jqat.qat.convert.QatConfig;
import org.junit.jupiter.api.Test;

/** Ranges, validation, per-channel vs per-tensor, and the initialised flag. */
class QuantizerBasicsTest {

    @Test
    void rangesFollowThePapers() {
        assertEquals(new QuantRange(4, -8, 7), QuantRange.signed(4));
        assertEquals(new QuantRange(4, 0, 15), QuantRange.unsigned(4));
        assertEquals(new QuantRange(1, -1, 0), QuantRange.signed(1));
        assertEquals(new QuantRange(8, -128, 127), QuantRange.signed(8));
    }

    @Test
    void bitWidthsOutsideOneToEightAreRejected() {
        for (int bad : new int[] {0, -1, 9, 32}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> QuantRange.signed(bad));
            assertTrue(e.getMessage().contains("between 1 and 8"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> QuantRange.unsigned(bad));
            assertThrows(IllegalArgumentException.class, () -> new DoReFaWeightQuantizer(bad));
            assertThrows(IllegalArgumentException.class, () -> new PactQuantizer(bad, 10f));
            assertThrows(IllegalArgumentException.class, () -> MinMaxQuantizer.activation(bad));
            assertThrows(IllegalArgumentException.class, () -> QatConfig.builder().weightBits(bad));
            assertThrows(IllegalArgumentException.class, () -> QatConfig.builder().activationBits(bad));
            assertThrows(IllegalArgumentException.class, () -> LayerOverride.of("x").weightBits(bad));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LsqQuantizer.perTensor(QuantRange.signed(1)));
        assertTrue(e.getMessage().contains("at least 2 bits"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new QuantRange(2, -4, 3));
        // every valid width builds
        for (int b = 1; b <= 8; b++) {
            LsqQuantizer.perTensor(QuantRange.unsigned(b));
            new DoReFaWeightQuantizer(b);
            new PactQuantizer(b, 4f);
        }
    }

    @Test
    void perChannelWithOneChannelEqualsPerTensor() {
        Tensor x = Tensor.randn(new Rng(3), 1, 5, 3, 3);
        float[] gy = Tensor.randn(new Rng(4), 45).toFloatArray();
        LsqQuantizer a = LsqQuantizer.perTensor(QuantRange.signed(3));
        LsqQuantizer b = LsqQuantizer.perChannel(QuantRange.signed(3), 1);
        Tensor xa = x.cloneData().requiresGrad(true);
        Tensor xb = x.cloneData().requiresGrad(true);
        Tensor ya = a.forward(xa);
        Tensor yb = b.forward(xb);
        ya.backward(Tensor.of(gy, 1, 5, 3, 3));
        yb.backward(Tensor.of(gy, 1, 5, 3, 3));
        assertArrayEquals(a.step().toFloatArray(), b.step().toFloatArray());
        assertArrayEquals(ya.toFloatArray(), yb.toFloatArray());
        assertArrayEquals(xa.grad().toFloatArray(), xb.grad().toFloatArray());
        assertArrayEquals(a.step().grad().toFloatArray(), b.step().grad().toFloatArray(), 1e-7f);

        MinMaxQuantizer ma = new MinMaxQuantizer(QuantRange.signed(4), true, false, 1, 0.01f);
        MinMaxQuantizer mb = MinMaxQuantizer.weightPerChannel(4, 1);
        assertArrayEquals(ma.forward(x).toFloatArray(), mb.forward(x).toFloatArray());
    }

    @Test
    void initialisedFlagSurvivesStateDictLoad() {
        LsqQuantizer trained = LsqQuantizer.perTensor(QuantRange.unsigned(4));
        trained.setStep(Tensor.of(0.123f));
        Map<String, Tensor> sd = trained.stateDict();
        assertEquals(java.util.Set.of("step", "initialized"), sd.keySet());
        LsqQuantizer fresh = LsqQuantizer.perTensor(QuantRange.unsigned(4));
        fresh.loadStateDict(sd, true);
        fresh.forward(Tensor.full(5f, 10));
        assertEquals(0.123f, fresh.step().item());
        // without the flag the first forward initialises from the data
        LsqQuantizer other = LsqQuantizer.perTensor(QuantRange.unsigned(4));
        other.forward(Tensor.full(5f, 10));
        assertEquals(2 * 5 / Math.sqrt(15), other.step().item(), 1e-6);
    }

    @Test
    void lsqPlusWeightInitUsesThreeSigma() {
        float[] w = Tensor.randn(new Rng(9), 400).toFloatArray();
        LsqQuantizer q = new LsqQuantizer(QuantRange.signed(4), false, 1, LsqQuantizer.Init.THREE_SIGMA, Float.NaN);
        q.forward(Tensor.of(w));
        double mean = 0;
        for (float f : w) {
            mean += f;
        }
        mean /= w.length;
        double var = 0;
        for (float f : w) {
            var += (f - mean) * (f - mean);
        }
        double sd = Math.sqrt(var / w.length);
        assertEquals(Math.max(Math.abs(mean - 3 * sd), Math.abs(mean + 3 * sd)) / 8, q.step().item(), 1e-5);
    }
}
