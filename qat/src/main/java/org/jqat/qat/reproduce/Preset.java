package org.jqat.qat.reproduce;

import java.util.List;
import java.util.Map;

/**
 * A reproduction recipe: the data set and model, how the full-precision model is trained, and
 * the QAT schedule run for plain QAT and for QAT with block replacement at each bit width.
 *
 * @param anchors      published top-1 for the same setting, keyed "FP" or "W/A" (e.g. "4/4"); shown beside ours, never mixed
 * @param anchorSource where the anchors come from
 * @param limitTrain   use only the first N training images (0: all)
 */
public record Preset(String name, String dataset, String model, int batchSize,
                     int fpEpochs, double fpLr, double fpWeightDecay,
                     int qatEpochs, double qatLr, double quantizerLr, double qatWeightDecay,
                     List<Integer> bits, int seeds, int limitTrain, int limitTest, String method,
                     Map<String, Double> anchors, String anchorSource, String note) {

    public static final String SMOKE = "smoke";

    private static final Map<String, Double> APOT_RESNET20_CIFAR10 =
            Map.of("FP", 92.96, "4/4", 92.45, "3/3", 92.49, "2/2", 90.96);
    private static final Map<String, Double> LSQ_RESNET18_IMAGENET =
            Map.of("FP", 70.5, "4/4", 71.1, "3/3", 70.2, "2/2", 67.6);

    /** Every preset by name. */
    public static final Map<String, Preset> ALL = Map.of(
            SMOKE, new Preset(SMOKE, "mnist", "mnist-cnn", 128, 1, 0.05, 5e-4, 2, 0.01, 0.01, 1e-4,
                    List.of(4, 2), 2, 20_000, 0, "lsq", Map.of(), "none (MNIST is a smoke test)",
                    "about 3.5 minutes on 2 CPU cores: FP 1 epoch, QAT 2 epochs on 20k images, 2 seeds"),
            "cifar10-short", new Preset("cifar10-short", "cifar10", "resnet20", 128, 20, 0.1, 5e-4, 10, 0.01, 0.01, 1e-4,
                    List.of(4, 3, 2), 2, 0, 0, "lsq", APOT_RESNET20_CIFAR10, "APoT (Li et al. 2020), ResNet-20 on CIFAR-10",
                    "hours on 2 CPU cores; minutes on a GPU"),
            "paper-cifar10", new Preset("paper-cifar10", "cifar10", "resnet20", 128, 200, 0.1, 5e-4, 200, 0.04, 0.04, 1e-4,
                    List.of(4, 3, 2), 3, 0, 0, "lsq", APOT_RESNET20_CIFAR10, "APoT (Li et al. 2020), ResNet-20 on CIFAR-10",
                    "the full recipe; run it on a GPU (--device cuda)"),
            "paper-imagenet", new Preset("paper-imagenet", "imagenet", "resnet18", 256, 90, 0.1, 1e-4, 90, 0.01, 0.01, 5e-5,
                    List.of(4, 3, 2), 1, 0, 0, "lsq", LSQ_RESNET18_IMAGENET, "LSQ (Esser et al. 2020), ResNet-18 on ImageNet",
                    "the full recipe; needs ImageNet under --data-dir/imagenet/{train,val} and a GPU"));

    public static Preset named(String name) {
        Preset p = ALL.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; known: " + new java.util.TreeSet<>(ALL.keySet()));
        }
        return p;
    }

    /** The published anchor for a row ("FP" or "W/A"), or null. */
    public Double anchor(String key) {
        return anchors.get(key);
    }
}
