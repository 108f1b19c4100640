package org.jqat.nn.sched;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jqat.core.Tensor;
import org.jqat.nn.optim.Optimizer;
import org.jqat.nn.optim.ParamGroup;

/**
 * Sets each parameter group's learning rate from a closed-form function of the step count and
 * the group's initial rate. Construction applies step 0; {@link #step()} advances by one. Call
 * it once per epoch or once per iteration: the schedule's length is counted in whichever unit
 * is used.
 */
public abstract class LRScheduler {
    private final Optimizer optimizer;
    private int lastEpoch;

    protected LRScheduler(Optimizer optimizer) {
        this.optimizer = optimizer;
    }

    /** Call at the end of subclass constructors: applies the rate of step 0. */
    protected final void init() {
        apply();
    }

    /** The learning rate at step {@code t} for a group whose initial rate is {@code base}. */
    public abstract double lrAt(double base, int t);

    /** Advances one step (epoch or iteration) and sets the new rates. */
    public final void step() {
        lastEpoch++;
        apply();
    }

    /** Steps taken so far (PyTorch's {@code last_epoch}). */
    public final int lastEpoch() {
        return lastEpoch;
    }

    /** The current learning rate of group g. */
    public final double lr(int g) {
        return optimizer.groups().get(g).lr();
    }

    private void apply() {
        for (ParamGroup g : optimizer.groups()) {
            g.setLr(lrAt(g.initialLr(), lastEpoch));
        }
    }

    /** {@code last_epoch}, stored exactly in two floats. */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("last_epoch", Tensor.of((float) (lastEpoch >>> 12), (float) (lastEpoch & 0xFFF)));
        return out;
    }

    /** Restores {@code last_epoch} and sets the rates for it. */
    public final void loadStateDict(Map<String, Tensor> state) {
        Tensor t = state.get("last_epoch");
        if (t == null || state.size() != 1) {
            throw new IllegalArgumentException("scheduler state must hold exactly 'last_epoch', got " + state.keySet());
        }
        float[] v = t.toFloatArray();
        lastEpoch = v.length == 2 ? ((int) v[0] << 12) + (int) v[1] : (int) v[0];
        apply();
    }
}
