package org.jqat.examples;

import java.nio.file.Path;
import java.util.List;
import org.jqat.core.Rng;
import org.jqat.datasets.DataLoader;
import org.jqat.datasets.Dataset;
import org.jqat.datasets.Example;
import org.jqat.datasets.transforms.ToTensor;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.train.Evaluation;
import org.jqat.qat.train.Metrics;
import org.jqat.qat.train.Supervised;
import org.jqat.qat.train.TrainConfig;
import org.jqat.qat.train.Trainer;

/**
 * Example: train with the library's {@link Trainer} (schedule, metrics, divergence checks) on a
 * data set of one's own, bounded by steps; evaluate without a trainer; save and load the weights.
 */
public final class TrainWithTrainer {
    /** Returns the top-1 (percent) on the test set of the trained model and of the reloaded one. */
    public static double[] run(Path weights) {
        Dataset train = new Bars(240);
        Dataset test = new Bars(60);
        // [snippet:trainer]
        MnistCnn model = new MnistCnn(new Rng(0));
        double trainedTop1;
        try (DataLoader trainLoader = DataLoader.builder(train).batchSize(16).shuffle(true).dropLast(true).seed(1)
                     .transform(new ToTensor()).build();
             DataLoader testLoader = DataLoader.builder(test).batchSize(30).transform(new ToTensor()).build()) {
            TrainConfig config = TrainConfig.builder()
                    .epochs(3).lr(0.05).weightDecay(5e-4).seed(1)
                    .maxSteps(20)                    // stop after 20 optimizer steps (inside epoch 2)
                    .build();                        // no outputDir: nothing on disk; resume and progress are off
            Trainer trainer = new Trainer(new Supervised(model, 0f), trainLoader, testLoader, config)
                    .onEpoch(record -> System.out.println("epoch " + record.get("epoch") + ": test top-1 " + record.get("test_top1")));
            Trainer.Result result = trainer.fit();
            System.out.println(trainer.steps() + " steps, " + result.epochs() + " epochs");

            Metrics m = Evaluation.evaluate(model, testLoader);   // no Trainer needed
            System.out.printf("top-1 %.1f%%, loss %.3f%n", m.top1(), m.loss());
            trainedTop1 = m.top1();
            model.save(weights);                                 // a jqat checkpoint (safetensors)
        }
        MnistCnn reloaded = new MnistCnn(new Rng(42)).load(weights);
        // [/snippet]
        try (DataLoader testLoader = DataLoader.builder(test).batchSize(30).transform(new ToTensor()).build()) {
            return new double[] {trainedTop1, Evaluation.evaluate(reloaded, testLoader).top1()};
        }
    }

    /** 28×28 grey images of 10 classes: class k has a bright horizontal bar at rows 2k..2k+3, plus noise. */
    static final class Bars implements Dataset {
        private final int size;

        Bars(int size) {
            this.size = size;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public Example get(int index) {
            Rng r = new Rng(index * 31L + size);
            int label = index % 10;
            byte[] px = new byte[28 * 28];
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    int bright = y >= 2 * label + 2 && y < 2 * label + 6 ? 200 : 30;
                    px[y * 28 + x] = (byte) (bright + r.nextInt(40));
                }
            }
            return new Example(px, 1, 28, 28, label);
        }

        @Override
        public int[] imageShape() {
            return new int[] {1, 28, 28};
        }

        @Override
        public int numClasses() {
            return 10;
        }

        @Override
        public List<String> classNames() {
            return List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        }
    }

    public static void main(String[] args) {
        run(Path.of(args.length > 0 ? args[0] : "mnist-cnn.safetensors"));
    }
}
