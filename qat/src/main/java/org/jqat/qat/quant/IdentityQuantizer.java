package org.jqat.qat.quant;

import org.jqat.core.Tensor;

/**
 * A quantizer that passes its input through: used where a tensor is already on its grid (weights
 * read back from an export), so quantizing it again is unnecessary (and, for DoReFa, not idempotent).
 */
public final class IdentityQuantizer extends Quantizer {
    private final int bits;

    /** @param bits the bit width the tensor was quantized to (for reports) */
    public IdentityQuantizer(int bits) {
        this.bits = bits;
    }

    @Override
    public int bits() {
        return bits;
    }

    @Override
    public String method() {
        return "identity";
    }

    @Override
    public Tensor forward(Tensor x) {
        return x;
    }

    @Override
    public QuantGrid grid(Tensor x) {
        return null;
    }
}
