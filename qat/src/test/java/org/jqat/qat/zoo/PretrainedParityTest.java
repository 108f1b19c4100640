package org.jqat.qat.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.core.backend.Backends;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.testing.SharedData;
import org.jqat.datasets.Batch;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.Dataset;
import org.jqat.datasets.DatasetRegistry;
import org.jqat.datasets.transforms.Presets;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.StateDictImport;
import org.jqat.qat.infer.IntModel;
import org.junit.jupiter.api.Test;

/**
 * jqat runs the published PyTorch ResNets exactly as PyTorch does: the first 100 test logits
 * match PyTorch's within 1e-4, and top-1 on the official CIFAR-10 test set equals the figure
 * PyTorch measures (91.73% and 93.39%). Reads {@code shared/models} and
 * {@code shared/datasets}; skipped when they are absent. Runs on the fast {@code cpu} backend.
 */
class PretrainedParityTest {

    private static Module imported(String entry, String file) {
        Pretrained p = Pretrained.named(entry);
        Module m = p.create(0);
        StateDictImport.load(SharedData.file("models", file), m, List.of());
        m.eval();
        return m;
    }

    private static DataLoader officialTest(Pretrained p, int batch, int limit) {
        Dataset test = new DatasetRegistry(SharedData.datasets()).withDownload(false).open("cifar10", false);
        if (limit > 0) {
            test = new FirstN(test, limit);
        }
        return DataLoader.builder(test).batchSize(batch).shuffle(false).workers(1)
                .transform(Presets.forDataset("cifar10", false, p.preprocessing().mean(), p.preprocessing().std())).build();
    }

    @Test
    void first100LogitsMatchPyTorch() {
        Path reference = SharedData.file("models", "resnet20-akamaster-test100-logits.safetensors");
        float[] expected;
        float[] labels;
        try (SafetensorsFile f = SafetensorsFile.open(reference)) {
            expected = f.get("logits").toFloatArray();
            labels = f.get("labels").toFloatArray();
        }
        Pretrained p = Pretrained.named("resnet20-cifar10");
        for (String file : List.of("resnet20-12fca82f.th", "resnet20-12fca82f-zip.pt")) {
            Module m = imported("resnet20-cifar10", file);
            try (DataLoader loader = officialTest(p, 100, 100); DataLoader.Epoch epoch = loader.epoch(0);
                 var ng = Autograd.noGrad(); var cpu = Backends.using("cpu")) {
                Batch b = epoch.next();
                for (int i = 0; i < 100; i++) {
                    assertEquals((int) labels[i], b.labels()[i], "label of test image " + i);
                }
                float[] got = m.forward(b.images()).toFloatArray();
                double worst = 0;
                for (int i = 0; i < got.length; i++) {
                    worst = Math.max(worst, Math.abs(got[i] - expected[i]));
                }
                System.out.printf(Locale.ROOT, "%s: largest |logit - PyTorch logit| over 100 images x 10 classes = %.3g%n", file, worst);
                assertTrue(worst < 1e-4, file + ": largest logit difference " + worst);
            }
        }
    }

    @Test
    void resnet20TopOneOnOfficialTestSet() {
        assertEquals(9173, correct("resnet20-cifar10", "resnet20-12fca82f.th"), "PyTorch: 91.73%");
    }

    @Test
    void resnet56TopOneOnOfficialTestSet() {
        assertEquals(9339, correct("resnet56-cifar10", "resnet56-4bfd9763.th"), "PyTorch: 93.39%");
    }

    private static int correct(String entry, String file) {
        Module m = imported(entry, file);
        Pretrained p = Pretrained.named(entry);
        long t0 = System.nanoTime();
        int correct = 0;
        int total = 0;
        try (DataLoader loader = officialTest(p, 500, 0); DataLoader.Epoch epoch = loader.epoch(0);
             var ng = Autograd.noGrad(); var cpu = Backends.using("cpu")) {
            while (epoch.hasNext()) {
                Batch b = epoch.next();
                Tensor logits = m.forward(b.images());
                int[] pred = IntModel.argmax(logits);
                for (int i = 0; i < pred.length; i++) {
                    correct += pred[i] == b.labels()[i] ? 1 : 0;
                }
                total += pred.length;
            }
        }
        assertEquals(10_000, total);
        System.out.printf(Locale.ROOT, "%s (%s) on the official CIFAR-10 test set: top-1 %.2f%% (%d/10000), %.1f s%n",
                entry, file, correct / 100.0, correct, (System.nanoTime() - t0) / 1e9);
        return correct;
    }

    /** The first n examples of a data set. */
    private record FirstN(Dataset data, int n) implements Dataset {
        @Override
        public int size() {
            return Math.min(n, data.size());
        }

        @Override
        public org.jqat.datasets.Example get(int i) {
            return data.get(i);
        }

        @Override
        public int numClasses() {
            return data.numClasses();
        }

        @Override
        public int[] imageShape() {
            return data.imageShape();
        }

        @Override
        public List<String> classNames() {
            return data.classNames();
        }
    }
}
