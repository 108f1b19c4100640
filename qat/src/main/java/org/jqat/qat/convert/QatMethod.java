package org.jqat.qat.convert;

/** Which quantizers {@link Qat#convert} puts on weights and layer inputs. */
public enum QatMethod {
    /** LSQ on weights (signed) and inputs (unsigned after a ReLU, signed otherwise). */
    LSQ,
    /** LSQ+ : LSQ weights with the μ±3σ step init; inputs asymmetric with learnable offset. */
    LSQ_PLUS,
    /** DoReFa weights, PACT inputs (LSQ+ for inputs that must be signed: PACT clips at 0). */
    DOREFA_PACT,
    /** PyTorch's default QAT: min/max observers, symmetric per-channel weights, affine inputs. */
    MINMAX
}
