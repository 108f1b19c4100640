package org.jqat.nn.zoo;

import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Tensor;
import org.jqat.nn.Blocks;
import org.jqat.nn.Chain;
import org.jqat.nn.Module;
import org.jqat.nn.NamedBlock;

/**
 * A model laid out as stem children, stage children (each a sequence of blocks) and head
 * children, all registered at top level so state-dict keys are PyTorch's ({@code conv1.weight},
 * {@code layer1.0.conv1.weight}, {@code fc.bias}). The stem and head are presented as
 * {@link Chain} views named {@code stem} and {@code head}.
 */
public abstract class BlockModel extends Module implements Blocks {

    /** Top-level children that make the stem, in order. */
    protected abstract List<String> stemNames();

    /** Top-level children that are stages (sequences of blocks), in order. */
    protected abstract List<String> stageNames();

    /** Top-level children that make the head, in order. */
    protected abstract List<String> headNames();

    @Override
    public Tensor forward(Tensor x) {
        return Blocks.run(stages(), x);
    }

    @Override
    public List<NamedBlock> blocks() {
        List<NamedBlock> out = new ArrayList<>();
        out.add(new NamedBlock("stem", Chain.viewOf(this, stemNames().toArray(String[]::new))));
        for (String stage : stageNames()) {
            Module s = child(stage);
            for (var e : s.namedChildren().entrySet()) {
                out.add(new NamedBlock(stage + "." + e.getKey(), e.getValue()));
            }
        }
        out.add(new NamedBlock("head", Chain.viewOf(this, headNames().toArray(String[]::new))));
        return out;
    }

    @Override
    public List<NamedBlock> stages() {
        List<NamedBlock> out = new ArrayList<>();
        out.add(new NamedBlock("stem", Chain.viewOf(this, stemNames().toArray(String[]::new))));
        for (String stage : stageNames()) {
            out.add(new NamedBlock(stage, child(stage)));
        }
        out.add(new NamedBlock("head", Chain.viewOf(this, headNames().toArray(String[]::new))));
        return out;
    }
}
