package org.jqat.nn.infer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqat.nn.Blocks;
import org.jqat.nn.Chain;
import org.jqat.nn.Module;
import org.jqat.nn.NamedBlock;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.ReLU;
import org.jqat.nn.zoo.BasicBlock;
import org.jqat.nn.zoo.Bottleneck;
import org.jqat.nn.zoo.PadShortcut;

/**
 * Turns a trained float model into an {@link InferenceModel}, as {@code torch.jit.freeze} plus
 * conv–batch-norm fusion do for PyTorch:
 *
 * <pre>{@code
 * InferenceModel fast = Inference.optimize(model);   // a copy: model itself is untouched
 * Tensor logits = fast.forward(images);               // no autograd graph, intermediates recycled
 * }</pre>
 *
 * <p>What changes, on a copy of the model in eval mode:
 * <ul>
 * <li>every {@code Conv2d} directly followed by a {@code BatchNorm2d} (and a {@code ReLU}) in a
 *     chain of known order (a {@link Sequential}, a {@link Chain}, the stem and head of a
 *     {@link Blocks} model) becomes one {@link FoldedConv};</li>
 * <li>ResNet {@link BasicBlock}s and {@link Bottleneck}s become blocks whose last convolution adds
 *     the shortcut and applies the ReLU as it stores its output; option-B downsample
 *     ({@code Conv2d + BatchNorm2d}) shortcuts are folded too.</li>
 * </ul>
 * Anything else (quantized layers, custom modules, a block whose children were replaced) runs as
 * it is, in eval mode; the result is the eval-mode model's up to float rounding.
 */
public final class Inference {
    private Inference() {
    }

    /** An inference copy of {@code model} (see the class comment); {@code model} is not changed. */
    public static InferenceModel optimize(Module model) {
        Module copy = model.copy();
        copy.eval();
        return new InferenceModel(fuse(copy));
    }

    /**
     * The folded form of a frozen module in eval mode, for use inside a larger graph: the same
     * folding as {@link #optimize}, without its wrapper, so gradients still flow to the input (the
     * folded weights are constants). Block replacement runs its frozen full-precision copy this
     * way. {@code module} must not be needed unfolded afterwards: containers it does not know are
     * changed in place (their known children replaced), known ones are rebuilt.
     */
    public static Module fold(Module module) {
        module.eval();
        return fuse(module);
    }

    /** The fused form of m: a known container or block rebuilt, anything else with its children fused. */
    static Module fuse(Module m) {
        if (m.getClass() == BasicBlock.class || m.getClass() == Bottleneck.class) {
            Module block = fuseResidualBlock(m);
            return block != null ? block : m;
        }
        if (m instanceof Blocks blocks) {
            Map<String, Module> stages = new LinkedHashMap<>();
            for (NamedBlock b : blocks.stages()) {
                stages.put(b.name(), fuse(b.module()));
            }
            return Chain.of(stages);
        }
        if (m instanceof Sequential || m instanceof Chain) {
            return Chain.of(fuseChain(m.namedChildren()));
        }
        for (Map.Entry<String, Module> e : new ArrayList<>(m.namedChildren().entrySet())) {
            Module f = fuse(e.getValue());
            if (f != e.getValue()) {
                m.setChild(e.getKey(), f);
            }
        }
        return m;
    }

    /** The children of a chain run in order, with each Conv2d → BatchNorm2d (→ ReLU) run folded into one layer. */
    private static Map<String, Module> fuseChain(Map<String, Module> children) {
        List<String> names = new ArrayList<>(children.keySet());
        Map<String, Module> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            Module c = children.get(names.get(i));
            Module next = i + 1 < names.size() ? children.get(names.get(i + 1)) : null;
            if (c.getClass() == Conv2d.class && next != null && next.getClass() == BatchNorm2d.class) {
                boolean relu = i + 2 < names.size() && children.get(names.get(i + 2)).getClass() == ReLU.class;
                out.put(names.get(i), FoldedConv.of((Conv2d) c, (BatchNorm2d) next, relu));
                i += relu ? 2 : 1;
            } else {
                out.put(names.get(i), fuse(c));
            }
        }
        return out;
    }

    /** A basic or bottleneck block rebuilt with folded convolutions, or null when a child is not the plain layer. */
    private static Module fuseResidualBlock(Module block) {
        int n = block.getClass() == BasicBlock.class ? 2 : 3;
        if (block.child("relu").getClass() != ReLU.class) {
            return null;
        }
        List<FoldedConv> convs = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            Module conv = block.child("conv" + i);
            Module bn = block.child("bn" + i);
            if (conv.getClass() != Conv2d.class || bn.getClass() != BatchNorm2d.class) {
                return null;
            }
            convs.add(FoldedConv.of((Conv2d) conv, (BatchNorm2d) bn, i < n));
        }
        Module shortcut = null;
        if (block.hasChild("downsample")) {
            Module d = block.child("downsample");
            List<Module> parts = new ArrayList<>(d.namedChildren().values());
            if (!(d instanceof Sequential) || parts.size() != 2 || parts.get(0).getClass() != Conv2d.class
                    || parts.get(1).getClass() != BatchNorm2d.class) {
                return null;
            }
            shortcut = FoldedConv.of((Conv2d) parts.get(0), (BatchNorm2d) parts.get(1), false);
        } else if (block.hasChild("shortcut")) {
            if (block.child("shortcut").getClass() != PadShortcut.class) {
                return null;
            }
            shortcut = block.child("shortcut");
        }
        return new FusedResidualBlock(convs, shortcut);
    }
}
