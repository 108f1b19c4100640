package org.jqat.qat.quant;

import org.jqat.core.FakeQuantSpec;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/**
 * A fake quantizer: a module whose forward rounds its input to a uniform grid (through the fused
 * {@link org.jqat.core.Functional#fakeQuantize} kernel) and whose backward is straight-through,
 * with whatever gradient its method defines for its own parameters. Parameters and buffers are
 * registered by name so they appear in state dicts, e.g. {@code layer1.0.conv1.weight_quantizer.step}.
 */
public abstract class Quantizer extends Module {

    /** Bit width of the output grid. */
    public abstract int bits();

    /** Short method name for reports and export metadata: lsq, lsq+, dorefa, pact, minmax, identity. */
    public abstract String method();

    /**
     * False while the quantizer's grid still waits for data: LSQ's step and min/max's range are
     * set by the first forward pass in training. An export of such a quantizer would write a grid
     * no forward pass ever used, so {@link org.jqat.qat.export.QatExport} refuses it. Quantizers
     * whose grid needs no data (PACT, DoReFa) are always initialised.
     */
    public boolean isInitialized() {
        return true;
    }

    /**
     * The integer grid of {@code forward(x)} in its current state (call after a forward, or
     * after loading state). x is needed by quantizers whose grid depends on the tensor
     * (DoReFa's 1-bit mean); others ignore it. Null for quantizers that do not quantize.
     */
    public abstract QuantGrid grid(Tensor x);

    /**
     * The per-tensor fake-quantize that {@code forward(x)} would apply, for layers that fuse it into
     * their own kernel ({@link org.jqat.qat.convert.QuantConv2d} quantizes its input while the
     * convolution lays it out); it prepares state as forward does (a first call initialises the
     * step). Null when forward is not one per-tensor fake-quantize: such layers call forward.
     */
    public FakeQuantSpec fusedSpec(Tensor x) {
        return null;
    }

    @Override
    protected String describe() {
        return getClass().getSimpleName() + "(" + method() + ", bits=" + bits() + ")";
    }
}
