package org.jqat.datasets.transforms;

/**
 * The usual train/eval pipelines per data set, with the customary normalisation statistics
 * (those quoted for the official sets), so the command line and examples agree.
 */
public final class Presets {
    private Presets() {}

    public static final float[] CIFAR10_MEAN = {0.4914f, 0.4822f, 0.4465f};
    public static final float[] CIFAR10_STD = {0.2470f, 0.2435f, 0.2616f};
    public static final float[] CIFAR100_MEAN = {0.5071f, 0.4865f, 0.4409f};
    public static final float[] CIFAR100_STD = {0.2673f, 0.2564f, 0.2762f};
    public static final float[] MNIST_MEAN = {0.1307f};
    public static final float[] MNIST_STD = {0.3081f};
    public static final float[] FASHION_MNIST_MEAN = {0.2860f};
    public static final float[] FASHION_MNIST_STD = {0.3530f};
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /**
     * The pipeline for data set {@code name} ("cifar10", "cifar100", "mnist", "fashion-mnist",
     * "imagenet"): random crop/flip (or random-resized crop) when {@code train}, then scaling and
     * normalisation.
     */
    public static Transform forDataset(String name, boolean train) {
        return switch (name) {
            case "cifar10" -> cifar(train, CIFAR10_MEAN, CIFAR10_STD);
            case "cifar100" -> cifar(train, CIFAR100_MEAN, CIFAR100_STD);
            case "mnist" -> Compose.of(new ToTensor(), new Normalize(MNIST_MEAN, MNIST_STD));
            case "fashion-mnist" -> Compose.of(new ToTensor(), new Normalize(FASHION_MNIST_MEAN, FASHION_MNIST_STD));
            case "imagenet" -> train
                    ? Compose.of(new RandomResizedCrop(224), new RandomHorizontalFlip(), new ToTensor(), new Normalize(IMAGENET_MEAN, IMAGENET_STD))
                    : Compose.of(new Resize(256), new CenterCrop(224), new ToTensor(), new Normalize(IMAGENET_MEAN, IMAGENET_STD));
            default -> throw new IllegalArgumentException("no preset transforms for data set '" + name + "'");
        };
    }

    /**
     * The same pipeline as {@link #forDataset(String, boolean)} with other normalisation
     * statistics, for a model trained with them (e.g. a CIFAR model normalised with ImageNet's).
     */
    public static Transform forDataset(String name, boolean train, float[] mean, float[] std) {
        return switch (name) {
            case "cifar10", "cifar100" -> cifar(train, mean, std);
            case "mnist", "fashion-mnist" -> Compose.of(new ToTensor(), new Normalize(mean, std));
            case "imagenet" -> train
                    ? Compose.of(new RandomResizedCrop(224), new RandomHorizontalFlip(), new ToTensor(), new Normalize(mean, std))
                    : Compose.of(new Resize(256), new CenterCrop(224), new ToTensor(), new Normalize(mean, std));
            default -> throw new IllegalArgumentException("no preset transforms for data set '" + name + "'");
        };
    }

    /** The customary {mean, std} of data set {@code name}, as {@link #forDataset(String, boolean)} uses them. */
    public static float[][] statistics(String name) {
        return switch (name) {
            case "cifar10" -> new float[][] {CIFAR10_MEAN.clone(), CIFAR10_STD.clone()};
            case "cifar100" -> new float[][] {CIFAR100_MEAN.clone(), CIFAR100_STD.clone()};
            case "mnist" -> new float[][] {MNIST_MEAN.clone(), MNIST_STD.clone()};
            case "fashion-mnist" -> new float[][] {FASHION_MNIST_MEAN.clone(), FASHION_MNIST_STD.clone()};
            case "imagenet" -> new float[][] {IMAGENET_MEAN.clone(), IMAGENET_STD.clone()};
            default -> throw new IllegalArgumentException("no preset statistics for data set '" + name + "'");
        };
    }

    private static Transform cifar(boolean train, float[] mean, float[] std) {
        return train
                ? Compose.of(new RandomCrop(32, 4), new RandomHorizontalFlip(), new ToTensor(), new Normalize(mean, std))
                : Compose.of(new ToTensor(), new Normalize(mean, std));
    }
}
