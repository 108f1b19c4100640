package org.jqat.qat.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jqat.core.Rng;
import org.jqat.nn.Module;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.nn.zoo.ResNet;

/** Builds zoo models by command-line name. */
public final class Models {
    private static final Pattern CIFAR = Pattern.compile("resnet(\\d+)(?:-([ab]))?");

    /** Names shown in help texts. */
    public static final String NAMES = "resnet20, resnet32, resnet44, resnet56, resnet110 (any resnet<6n+2>, "
            + "suffix -b for 1x1-conv shortcuts, default -a zero-padding), resnet18, resnet34, resnet50 (ImageNet layout), mnist-cnn";

    private Models() {
    }

    /** Fails with the list of known names unless {@code name} is a model this factory can build. */
    public static void validate(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("resnet18") || n.equals("resnet34") || n.equals("resnet50") || n.equals("mnist-cnn")) {
            return;
        }
        Matcher m = CIFAR.matcher(n);
        if (!m.matches()) {
            throw new IllegalArgumentException("unknown model '" + name + "'; known: " + NAMES);
        }
        int depth = Integer.parseInt(m.group(1));
        if (depth < 8 || (depth - 2) % 6 != 0) {
            throw new IllegalArgumentException("CIFAR ResNet depth must be 6n+2 (8, 14, 20, 32, ...), got " + depth + " in '" + name + "'");
        }
    }

    /**
     * A freshly initialised model.
     *
     * @param inChannels image channels (3 for colour, 1 for grey)
     */
    public static Module create(String name, int classes, int inChannels, long seed) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        Rng rng = new Rng(seed);
        switch (n) {
            case "resnet18" -> {
                return ResNet.resnet18(classes, rng);
            }
            case "resnet34" -> {
                return ResNet.resnet34(classes, rng);
            }
            case "resnet50" -> {
                return ResNet.resnet50(classes, rng);
            }
            case "mnist-cnn" -> {
                if (inChannels != 1) {
                    throw new IllegalArgumentException("mnist-cnn takes 1-channel 28x28 images, the data set has " + inChannels + " channels");
                }
                return new MnistCnn(rng);
            }
            default -> {
            }
        }
        Matcher m = CIFAR.matcher(n);
        if (m.matches()) {
            int depth = Integer.parseInt(m.group(1));
            if (depth < 8 || (depth - 2) % 6 != 0) {
                throw new IllegalArgumentException("CIFAR ResNet depth must be 6n+2 (8, 14, 20, 32, ...), got " + depth);
            }
            CifarResNet.Shortcut s = "b".equals(m.group(2)) ? CifarResNet.Shortcut.B : CifarResNet.Shortcut.A;
            return new CifarResNet(inChannels, depth, classes, s, 1e-5f, 0.1f, rng);
        }
        throw new IllegalArgumentException("unknown model '" + name + "'; known: " + NAMES);
    }
}
