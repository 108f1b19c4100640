/**
 * Tensors, define-by-run autograd, the {@link org.jqat.core.backend.Backend} kernel interface
 * with its scalar reference backend, safetensors I/O and the PyTorch conformance runner.
 *
 * <p>Depends on nothing but {@code java.base}. Backends and conformance case handlers are found
 * with {@link java.util.ServiceLoader}: modules provide them here, class-path jars through
 * {@code META-INF/services}.
 */
module org.jqat.core {
    exports org.jqat.core;
    exports org.jqat.core.backend;
    exports org.jqat.core.conformance;
    exports org.jqat.core.io;

    uses org.jqat.core.backend.Backend;
    uses org.jqat.core.conformance.CaseHandler;

    provides org.jqat.core.backend.Backend with org.jqat.core.backend.ReferenceBackend;
    provides org.jqat.core.conformance.CaseHandler with org.jqat.core.conformance.CoreCases;
}
