package org.jqat.qat.cli;

import java.util.Locale;
import org.jqat.qat.br.BrConfig;
import org.jqat.qat.convert.LayerPolicy;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import picocli.CommandLine.Option;

/** Quantization and block-replacement options shared by {@code jqat qat} and {@code jqat reproduce}. */
final class QatOptions {

    @Option(names = "--method", defaultValue = "lsq", description = "Quantizer: lsq, lsq-plus, dorefa-pact or minmax (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--first-last", defaultValue = "fp", description = "First and last layers: fp (full precision), 8bit or same (default: ${DEFAULT-VALUE}).")
    String firstLast;

    @Option(names = "--per-channel", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "Per-channel weight steps (default: per tensor, as the paper-era recipes).")
    boolean perChannel;

    @Option(names = "--quantize-shortcuts", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Quantize 1x1 shortcut convolutions (default: on).")
    boolean quantizeShortcuts;

    @Option(names = "--quantizer-lr", description = "Learning rate of quantizer parameters (default: the main --lr). They never get weight decay.")
    Double quantizerLr;

    @Option(names = "--br-granularity", defaultValue = "stage", description = "Block replacement cuts: stage or block (default: ${DEFAULT-VALUE}).")
    String granularity;

    @Option(names = "--br-layout", defaultValue = "progressive", description = "Mixed-precision models: progressive or single (default: ${DEFAULT-VALUE}).")
    String layout;

    @Option(names = "--br-weighting", defaultValue = "uniform", description = "Branch weights: uniform or halving (default: ${DEFAULT-VALUE}).")
    String weighting;

    @Option(names = "--br-branches", defaultValue = "mixed",
            description = "Which mixed-precision models to train: mixed (only those that mix quantized and full-precision layers) "
                    + "or all cuts (default: ${DEFAULT-VALUE}).")
    String branches;

    @Option(names = "--br-per-step", defaultValue = "all",
            description = "Mixed-precision models run per step: all, or one in turn with its term weighted by their "
                    + "number (the same loss on average over a turn, about 1/m of the m branches' cost) (default: ${DEFAULT-VALUE}).")
    String perStep;

    @Option(names = "--alpha", defaultValue = "1", description = "Weight of KL(FP || LP) (default: ${DEFAULT-VALUE}).")
    float alpha;

    @Option(names = "--beta", defaultValue = "1", description = "Weight of each branch's KL(FP || M_i) (default: ${DEFAULT-VALUE}).")
    float beta;

    @Option(names = "--gamma-ce", defaultValue = "0", description = "Weight of each branch's cross-entropy (default: ${DEFAULT-VALUE}).")
    float gammaCe;

    @Option(names = "--temperature", defaultValue = "4", description = "Distillation temperature (default: ${DEFAULT-VALUE}).")
    float temperature;

    static QatMethod parseMethod(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "lsq" -> QatMethod.LSQ;
            case "lsq-plus", "lsq+" -> QatMethod.LSQ_PLUS;
            case "dorefa-pact", "dorefa", "pact" -> QatMethod.DOREFA_PACT;
            case "minmax" -> QatMethod.MINMAX;
            default -> throw new IllegalArgumentException("unknown --method '" + s + "'; expected lsq, lsq-plus, dorefa-pact or minmax");
        };
    }

    QatConfig qatConfig(int weightBits, int activationBits) {
        LayerPolicy policy = switch (firstLast.trim().toLowerCase(Locale.ROOT)) {
            case "fp" -> LayerPolicy.FULL_PRECISION;
            case "8bit" -> LayerPolicy.EIGHT_BIT;
            case "same" -> LayerPolicy.SAME;
            default -> throw new IllegalArgumentException("--first-last must be fp, 8bit or same, got '" + firstLast + "'");
        };
        QatMethod m = parseMethod(method);
        if ((m == QatMethod.LSQ || m == QatMethod.LSQ_PLUS) && weightBits == 1) {
            // Signed LSQ at 1 bit has the single level Qp = 0: nothing to learn a step for.
            throw new IllegalArgumentException("--wbits 1: --method " + method + " needs at least 2 weight bits "
                    + "(dorefa-pact and minmax accept 1)");
        }
        return QatConfig.builder().method(m).weightBits(weightBits).activationBits(activationBits)
                .perChannelWeights(perChannel).firstLast(policy).quantizeShortcuts(quantizeShortcuts).build();
    }

    BrConfig brConfig() {
        return new BrConfig(parse(BrConfig.Granularity.class, granularity, "--br-granularity"),
                parse(BrConfig.Layout.class, layout, "--br-layout"),
                parse(BrConfig.Weighting.class, weighting, "--br-weighting"), alpha, beta, gammaCe, temperature,
                parse(BrConfig.Branches.class, branches, "--br-branches"),
                parse(BrConfig.PerStep.class, perStep, "--br-per-step"));
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + ": unknown value '" + value + "'");
        }
    }
}
