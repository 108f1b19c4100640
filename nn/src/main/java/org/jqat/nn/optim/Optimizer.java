package org.jqat.nn.optim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;

/**
 * Base of the optimizers: parameter groups, per-parameter state, {@link #step()} under no-grad,
 * and a state dict. State is keyed by the parameter's index over all groups in order, as
 * PyTorch's: {@code state.<i>.<name>} tensors (momentum buffers, moments) and
 * {@code state.<i>.step}, plus {@code group.<g>.lr}, {@code group.<g>.initial_lr} (what schedulers
 * scale from) and {@code group.<g>.weight_decay}, each a double stored exactly in four floats.
 *
 * <p>An optimizer holds its parameter tensors: build it after moving the model to its device
 * ({@code Module.to}). Loaded state tensors are placed on their parameter's device.
 */
public abstract class Optimizer {
    private final List<ParamGroup> groups;
    /** Per-parameter state by global index. */
    private final Map<Integer, ParamState> state = new HashMap<>();

    /** One parameter's optimizer state. */
    protected static final class ParamState {
        /** Named state tensors, e.g. {@code momentum_buffer}, {@code exp_avg}. */
        public final Map<String, Tensor> tensors = new LinkedHashMap<>();
        /** Number of updates applied (Adam's bias correction). */
        public long step;
    }

    protected Optimizer(List<ParamGroup> groups) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("optimizer needs at least one parameter group");
        }
        this.groups = List.copyOf(groups);
    }

    public final List<ParamGroup> groups() {
        return groups;
    }

    /** Sets every group's learning rate. */
    public final void setLr(double lr) {
        for (ParamGroup g : groups) {
            g.setLr(lr);
        }
    }

    /** Applies one update to every parameter that has a gradient. */
    public final void step() {
        try (var ng = Autograd.noGrad()) {
            int index = 0;
            for (ParamGroup g : groups) {
                for (Tensor p : g.params()) {
                    int i = index++;
                    Tensor grad = p.grad();
                    if (grad == null) {
                        continue;
                    }
                    ParamState ps = state.computeIfAbsent(i, k -> new ParamState());
                    update(g, p, grad, ps);
                    // State made during a step (first momentum buffer, moments) outlives the step's TensorScope.
                    ps.tensors.values().forEach(TensorScope::keep);
                }
            }
        }
    }

    /** Updates one parameter in place (called under no-grad). */
    protected abstract void update(ParamGroup group, Tensor param, Tensor grad, ParamState s);

    /** Clears every parameter's gradient. */
    public final void zeroGrad() {
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                p.zeroGrad();
            }
        }
    }

    // ---- state ----------------------------------------------------------------------------

    /** Copies of the optimizer state (see class comment for the key names). */
    public final Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int g = 0; g < groups.size(); g++) {
            // Exact encodings: a resumed run must continue bit for bit.
            out.put("group." + g + ".lr", ExactDouble.encode(groups.get(g).lr()));
            out.put("group." + g + ".initial_lr", ExactDouble.encode(groups.get(g).initialLr()));
            out.put("group." + g + ".weight_decay", ExactDouble.encode(groups.get(g).weightDecay()));
        }
        state.keySet().stream().sorted().forEach(i -> {
            ParamState s = state.get(i);
            // Two floats hold the step count exactly up to 2^48 (one float alone only to 2^24).
            out.put("state." + i + ".step", Tensor.of((float) (s.step >>> 24), (float) (s.step & 0xFFFFFF)));
            s.tensors.forEach((k, v) -> out.put("state." + i + "." + k, v.cloneData()));
        });
        return out;
    }

    /**
     * Restores state saved by {@link #stateDict()} of an optimizer over the same parameters.
     * Throws naming every key that does not fit (unknown parameter index, wrong shape); nothing
     * is changed then.
     */
    public final void loadStateDict(Map<String, Tensor> saved) {
        List<Tensor> all = allParams();
        List<String> problems = new ArrayList<>();
        Map<Integer, ParamState> loaded = new HashMap<>();
        for (var e : saved.entrySet()) {
            String[] parts = e.getKey().split("\\.", 3);
            if (parts.length != 3 || !parts[1].matches("\\d+")) {
                problems.add("unexpected key " + e.getKey());
                continue;
            }
            int i = Integer.parseInt(parts[1]);
            if (parts[0].equals("group")) {
                if (i >= groups.size() || !(parts[2].equals("lr") || parts[2].equals("initial_lr") || parts[2].equals("weight_decay"))) {
                    problems.add("unexpected key " + e.getKey() + " (" + groups.size() + " groups)");
                }
            } else if (parts[0].equals("state")) {
                if (i >= all.size()) {
                    problems.add("unexpected key " + e.getKey() + " (" + all.size() + " parameters)");
                } else if (parts[2].equals("step")) {
                    float[] v = e.getValue().toFloatArray();
                    loaded.computeIfAbsent(i, k -> new ParamState()).step = v.length == 2 ? ((long) v[0] << 24) + (long) v[1] : (long) v[0];
                } else if (!Arrays.equals(e.getValue().shape(), all.get(i).shape())) {
                    problems.add("shape mismatch " + e.getKey() + ": " + Arrays.toString(e.getValue().shape())
                            + " vs parameter " + Arrays.toString(all.get(i).shape()));
                } else {
                    // State lives where its parameter does (a checkpoint read on the host, a model on a GPU).
                    Tensor v = e.getValue().detach();
                    Tensor copy = v.device() == all.get(i).device() ? v.cloneData() : v.to(all.get(i).device());
                    loaded.computeIfAbsent(i, k -> new ParamState()).tensors.put(parts[2], TensorScope.keep(copy));
                }
            } else {
                problems.add("unexpected key " + e.getKey());
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("optimizer state does not match: " + String.join("; ", problems));
        }
        for (int g = 0; g < groups.size(); g++) {
            Tensor lr = saved.get("group." + g + ".lr");
            Tensor initial = saved.get("group." + g + ".initial_lr");
            Tensor wd = saved.get("group." + g + ".weight_decay");
            if (lr != null) {
                groups.get(g).setLr(ExactDouble.decode(lr));
            }
            if (initial != null) {
                groups.get(g).setInitialLr(ExactDouble.decode(initial));
            }
            if (wd != null) {
                groups.get(g).setWeightDecay(ExactDouble.decode(wd));
            }
        }
        state.clear();
        state.putAll(loaded);
    }

    private List<Tensor> allParams() {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : groups) {
            all.addAll(g.params());
        }
        return all;
    }

    // ---- gradient clipping ----------------------------------------------------------------

    /**
     * Scales gradients in place so their total L2 norm is at most {@code maxNorm}, as
     * {@code torch.nn.utils.clip_grad_norm_} (factor maxNorm/(norm+1e-6)); returns the total
     * norm before clipping. Parameters without a gradient are skipped.
     */
    public static double clipGradNorm(Collection<Tensor> params, double maxNorm) {
        double sq = 0;
        for (Tensor p : params) {
            Tensor g = p.grad();
            if (g == null) {
                continue;
            }
            float[] a = HostArrays.of(g);
            if (a != null) {
                for (float v : a) {
                    sq += (double) v * v;
                }
            } else {
                try (var ng = Autograd.noGrad()) {
                    sq += g.square().sum().item();
                }
            }
        }
        double total = Math.sqrt(sq);
        double coef = maxNorm / (total + 1e-6);
        if (coef < 1) {
            try (var ng = Autograd.noGrad()) {
                for (Tensor p : params) {
                    if (p.grad() != null) {
                        p.grad().affineInPlace_((float) coef, 0f);
                    }
                }
            }
        }
        return total;
    }
}
