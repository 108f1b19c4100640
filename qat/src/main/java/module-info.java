/**
 * Quantization-aware training: quantizers, QAT conversion of {@code org.jqat.nn} models,
 * block-replacement QAT, training loops, export to integer weights, integer inference, and the
 * {@code jqat} command line ({@code org.jqat.qat.cli.Main}, not exported; picocli reads its
 * commands reflectively).
 *
 * <p>Backends ({@code org.jqat.kernels.cpu}, the CUDA one when present) are not required here:
 * they are bound as {@link org.jqat.core.backend.Backend} service providers.
 */
module org.jqat.qat {
    requires transitive org.jqat.core;
    requires transitive org.jqat.nn;
    requires transitive org.jqat.datasets;
    requires jdk.incubator.vector;
    requires java.desktop;
    requires java.management;
    requires java.logging;
    requires jdk.management;
    requires info.picocli;

    exports org.jqat.qat.br;
    exports org.jqat.qat.convert;
    exports org.jqat.qat.export;
    exports org.jqat.qat.infer;
    exports org.jqat.qat.quant;
    exports org.jqat.qat.train;
    exports org.jqat.qat.zoo;

    opens org.jqat.qat.cli to info.picocli;

    provides org.jqat.core.conformance.CaseHandler with org.jqat.qat.conformance.QatCases;
}
