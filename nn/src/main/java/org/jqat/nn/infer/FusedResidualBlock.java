package org.jqat.nn.infer;

import java.util.List;
import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/**
 * A ResNet block (basic or bottleneck) for inference: its convolutions with their batch norms
 * folded, ReLUs fused into the convolutions, and the residual add plus the final ReLU applied as
 * the last convolution stores its output. Without a graph, intermediate activations are closed as
 * soon as the next layer has read them, so a recycling backend reuses their memory within the same
 * forward pass.
 */
final class FusedResidualBlock extends Module {
    private final List<FoldedConv> convs;
    private final Module shortcut;

    /**
     * @param convs    the main branch; every one but the last ends in ReLU
     * @param shortcut null for the identity, else the shortcut (a folded 1×1 conv, or option A's padding)
     */
    FusedResidualBlock(List<FoldedConv> convs, Module shortcut) {
        this.convs = List.copyOf(convs);
        this.shortcut = shortcut;
        for (int i = 0; i < convs.size(); i++) {
            registerModule("conv" + (i + 1), convs.get(i));
        }
        if (shortcut != null) {
            registerModule("shortcut", shortcut);
        }
    }

    @Override
    public Tensor forward(Tensor x) {
        // inside a graph (block replacement's frozen FP copy) the intermediates belong to it
        boolean graph = Autograd.isGradEnabled() && x.requiresGrad();
        Tensor h = x;
        for (int i = 0; i < convs.size() - 1; i++) {
            Tensor next = convs.get(i).forward(h);
            closeIntermediate(h, x, graph);
            h = next;
        }
        Tensor residual = shortcut == null ? x : shortcut.forward(x);
        Tensor out = convs.get(convs.size() - 1).forwardAddRelu(h, residual);
        closeIntermediate(h, x, graph);
        closeIntermediate(residual, x, graph);
        return out;
    }

    /** Closes a tensor this block made (never the caller's input, nor anything a graph holds). */
    private static void closeIntermediate(Tensor t, Tensor input, boolean graph) {
        if (t != input && !graph) {
            t.close();
        }
    }
}
