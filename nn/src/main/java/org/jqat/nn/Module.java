package org.jqat.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;

/**
 * A network component in the style of {@code torch.nn.Module}: it owns parameters (trainable
 * tensors), buffers (state such as BatchNorm running statistics) and child modules, each
 * registered by name in order, so that traversal and state dicts use PyTorch's dotted names
 * ({@code layer1.0.conv1.weight}).
 *
 * <p>Subclasses must not keep their own references to parameters, buffers or children in
 * fields: they look them up by name ({@link #param}, {@link #buffer}, {@link #child}). That is
 * what lets {@link #copy()} deep-copy any module generically and lets a child be replaced
 * ({@link #setChild}) without the parent holding a stale reference.
 */
public abstract class Module implements Cloneable {
    private LinkedHashMap<String, Tensor> params = new LinkedHashMap<>();
    private LinkedHashMap<String, Tensor> buffers = new LinkedHashMap<>();
    private LinkedHashMap<String, Module> children = new LinkedHashMap<>();
    private boolean training = true;

    /** Runs the module. */
    public abstract Tensor forward(Tensor x);

    // ---- registration ---------------------------------------------------------------------

    /** Registers a trainable tensor (marked as requiring a gradient); returns it. */
    protected final Tensor registerParameter(String name, Tensor t) {
        checkName(name);
        if (t != null) {
            t.requiresGrad(true);
        }
        params.put(name, TensorScope.keep(t));
        return t;
    }

    /** Registers a non-trainable state tensor that belongs in the state dict; returns it. */
    protected final Tensor registerBuffer(String name, Tensor t) {
        checkName(name);
        buffers.put(name, TensorScope.keep(t));
        return t;
    }

    /** Registers a child module; returns it. */
    protected final <M extends Module> M registerModule(String name, M m) {
        checkName(name);
        children.put(name, Objects.requireNonNull(m, "module"));
        return m;
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("invalid name '" + name + "': must be non-empty and contain no '.'");
        }
        int kinds = (params.containsKey(name) ? 1 : 0) + (buffers.containsKey(name) ? 1 : 0) + (children.containsKey(name) ? 1 : 0);
        if (kinds > 0) {
            throw new IllegalArgumentException("'" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** This module's own parameter by name (null when registered as null, e.g. a disabled bias). */
    public final Tensor param(String name) {
        if (!params.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no parameter '" + name + "'");
        }
        return params.get(name);
    }

    /** This module's own buffer by name. */
    public final Tensor buffer(String name) {
        if (!buffers.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no buffer '" + name + "'");
        }
        return buffers.get(name);
    }

    /** A direct child by name. */
    public final Module child(String name) {
        Module m = children.get(name);
        if (m == null) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child '" + name + "'");
        }
        return m;
    }

    public final boolean hasChild(String name) {
        return children.containsKey(name);
    }

    /** Replaces an existing child (block replacement swaps children between models). */
    public final void setChild(String name, Module m) {
        if (!children.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no child '" + name + "' to replace");
        }
        children.put(name, Objects.requireNonNull(m, "module"));
    }

    /** Replaces a parameter's tensor (same name; the new tensor is marked as requiring a gradient). */
    public final void setParameter(String name, Tensor t) {
        param(name);
        if (t != null) {
            t.requiresGrad(true);
        }
        params.put(name, TensorScope.keep(t));
    }

    /** The submodule at a dotted path ("" is this module), e.g. {@code layer1.0}. */
    public final Module submodule(String path) {
        Module m = this;
        if (!path.isEmpty()) {
            for (String part : path.split("\\.")) {
                m = m.child(part);
            }
        }
        return m;
    }

    /** Replaces the submodule at a dotted path. */
    public final void setSubmodule(String path, Module replacement) {
        int dot = path.lastIndexOf('.');
        Module parent = dot < 0 ? this : submodule(path.substring(0, dot));
        parent.setChild(path.substring(dot + 1), replacement);
    }

    // ---- traversal ------------------------------------------------------------------------

    /** Direct children in registration order. */
    public final Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** This module ("") and every descendant, depth first, with dotted names. */
    public final Map<String, Module> namedModules() {
        LinkedHashMap<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String prefix, Map<String, Module> out) {
        out.put(prefix, this);
        for (var e : children.entrySet()) {
            e.getValue().collectModules(join(prefix, e.getKey()), out);
        }
    }

    /** Every parameter (own first, then children's), with dotted names; null parameters skipped. */
    public final Map<String, Tensor> namedParameters() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var m : namedModules().entrySet()) {
            for (var p : m.getValue().params.entrySet()) {
                if (p.getValue() != null) {
                    out.put(join(m.getKey(), p.getKey()), p.getValue());
                }
            }
        }
        return out;
    }

    /** Every buffer with dotted names. */
    public final Map<String, Tensor> namedBuffers() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var m : namedModules().entrySet()) {
            for (var b : m.getValue().buffers.entrySet()) {
                if (b.getValue() != null) {
                    out.put(join(m.getKey(), b.getKey()), b.getValue());
                }
            }
        }
        return out;
    }

    /** Every parameter, in {@link #namedParameters()} order. */
    public final List<Tensor> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Parameters that currently require a gradient (what an optimizer should train). */
    public final List<Tensor> trainableParameters() {
        return parameters().stream().filter(Tensor::requiresGrad).toList();
    }

    /** Total number of parameter elements. */
    public final long parameterCount() {
        long n = 0;
        for (Tensor t : namedParameters().values()) {
            n += t.numel();
        }
        return n;
    }

    static String join(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    // ---- modes ----------------------------------------------------------------------------

    /** Sets training mode on this module and every descendant; returns this. */
    public Module train(boolean on) {
        for (Module m : namedModules().values()) {
            m.training = on;
        }
        return this;
    }

    public final Module train() {
        return train(true);
    }

    public final Module eval() {
        return train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Stops training every parameter (requiresGrad false) and clears their gradients; returns this. */
    public final Module freeze() {
        for (Tensor t : namedParameters().values()) {
            t.zeroGrad();
            t.requiresGrad(false);
        }
        return this;
    }

    /** Makes every parameter trainable again; returns this. */
    public final Module unfreeze() {
        for (Tensor t : namedParameters().values()) {
            t.requiresGrad(true);
        }
        return this;
    }

    /** Clears every parameter's gradient. */
    public final void zeroGrad() {
        for (Tensor t : namedParameters().values()) {
            t.zeroGrad();
        }
    }

    // ---- devices --------------------------------------------------------------------------

    /**
     * Moves every parameter and buffer of this module and its descendants to {@code device}, as
     * {@code torch.nn.Module.to}; returns this module. Each tensor not already there is replaced
     * in its registry slot by a copy on the device that keeps the slot's name and the
     * requiresGrad flag (and the gradient, moved too, when one is held); tensors shared by
     * several slots (tied weights) stay shared. Tensors already on the device are kept as they
     * are, so moving to the current device changes nothing and keeps every identity.
     *
     * <p><b>Create optimizers (and parameter groups) after moving</b>: they hold the parameter
     * tensors themselves, and after a move those are the old, host-side tensors that the model no
     * longer uses. Modules keep no tensors outside their registries (see the class comment),
     * which is what makes this move complete; objects that hold a module and extra tensors
     * (block replacement's frozen FP copy, say) move those themselves.
     *
     * <p>The device's backend is looked up before anything moves: when none is available the
     * call fails with an {@link IllegalStateException} giving the reason, and the module is left
     * unchanged. The old tensors are not closed (the caller may still hold them); device memory
     * of unreachable ones is returned when the GC collects them, or by {@link Tensor#close()}.
     */
    @SuppressWarnings("unchecked")
    public final <M extends Module> M to(Device device) {
        Objects.requireNonNull(device, "device");
        java.util.Set<Module> modules = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        modules.addAll(namedModules().values());
        boolean needed = false;
        for (Module m : modules) {
            needed |= m.params.values().stream().anyMatch(t -> t != null && t.device() != device)
                    || m.buffers.values().stream().anyMatch(t -> t != null && t.device() != device);
        }
        if (!needed) {
            return (M) this;
        }
        Backends.forDevice(device);
        java.util.IdentityHashMap<Tensor, Tensor> moved = new java.util.IdentityHashMap<>();
        try (var ng = Autograd.noGrad()) {
            for (Module m : modules) {
                m.params.replaceAll((k, v) -> moveTensor(v, device, moved));
                m.buffers.replaceAll((k, v) -> moveTensor(v, device, moved));
            }
        }
        return (M) this;
    }

    private static Tensor moveTensor(Tensor t, Device device, java.util.IdentityHashMap<Tensor, Tensor> moved) {
        if (t == null || t.device() == device) {
            return t;
        }
        Tensor done = moved.get(t);
        if (done != null) {
            return done;
        }
        Tensor c = t.detach().to(device).requiresGrad(t.requiresGrad());
        if (t.grad() != null) {
            c.setGrad(TensorScope.keep(t.grad().detach().to(device)));
        }
        moved.put(t, c);
        return TensorScope.keep(c);
    }

    /**
     * The device holding this module's parameters and buffers ({@link Device#CPU} when it has
     * none); fails naming two tensors on different devices if they are not all on one.
     */
    public final Device device() {
        Device found = null;
        String first = null;
        for (var e : stateDict().entrySet()) {
            Device d = e.getValue().device();
            if (found == null) {
                found = d;
                first = e.getKey();
            } else if (d != found) {
                throw new IllegalStateException(getClass().getSimpleName() + " is spread over devices: '" + first + "' is on "
                        + found + " but '" + e.getKey() + "' on " + d + "; move it with to(Device)");
            }
        }
        return found == null ? Device.CPU : found;
    }

    // ---- state dict -----------------------------------------------------------------------

    /** Parameters then buffers per module, in PyTorch order and naming; the tensors are live (not copies). */
    public final Map<String, Tensor> stateDict() {
        LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
        for (var m : namedModules().entrySet()) {
            Module mod = m.getValue();
            mod.params.forEach((k, v) -> {
                if (v != null) {
                    out.put(join(m.getKey(), k), v);
                }
            });
            mod.buffers.forEach((k, v) -> {
                if (v != null) {
                    out.put(join(m.getKey(), k), v);
                }
            });
        }
        return out;
    }

    /**
     * Writes this module's state dict to {@code file} as a jqat checkpoint (safetensors, written
     * atomically, keys {@code model.<name>}): what {@link #load(java.nio.file.Path)}, {@code jqat eval
     * --checkpoint} and {@link org.jqat.nn.checkpoint.Checkpoint#load} read. For optimizer and
     * scheduler state as well, use {@link org.jqat.nn.checkpoint.Checkpoint#save}.
     */
    public final void save(java.nio.file.Path file) {
        org.jqat.nn.checkpoint.Checkpoint.save(file, this, null, null, 0, null, Map.of());
    }

    /**
     * Loads weights saved by {@link #save(java.nio.file.Path)} (or any jqat checkpoint) into this
     * module, strictly: a missing, unexpected or mis-shaped entry throws {@link StateDictException}
     * naming them all, and nothing changes.
     *
     * @return this module
     */
    @SuppressWarnings("unchecked")
    public final <M extends Module> M load(java.nio.file.Path file) {
        org.jqat.nn.checkpoint.Checkpoint.load(file, this, null, null, null, true);
        return (M) this;
    }

    /**
     * Copies values from a state dict into this module's tensors (same shape, in place).
     * {@code num_batches_tracked} entries from PyTorch are accepted and ignored: this engine
     * keeps no such counter (momentum is always given). Strict mode throws
     * {@link StateDictException} naming every missing, unexpected and mis-shaped key and
     * changes nothing; lenient mode loads what matches and returns the report.
     */
    public final LoadReport loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateDict();
        LoadReport report = LoadReport.compare(own, state);
        if (strict && !report.isClean()) {
            throw new StateDictException(report);
        }
        try (var ng = org.jqat.core.Autograd.noGrad()) {
            for (var e : own.entrySet()) {
                Tensor src = state.get(e.getKey());
                if (src != null && java.util.Arrays.equals(src.shape(), e.getValue().shape())) {
                    e.getValue().copyFrom_(src);
                }
            }
        }
        for (Module m : namedModules().values()) {
            m.onStateLoaded();
        }
        return report;
    }

    /**
     * Called on every module of the tree after {@link #loadStateDict} copied new values into its
     * parameters and buffers. Modules that mirror a buffer on the host (a quantizer's
     * "initialized" flag, read on every forward) refresh the mirror here, so the forward pass
     * never has to read the buffer back from a device.
     */
    protected void onStateLoaded() {
    }

    // ---- copying --------------------------------------------------------------------------

    /**
     * A deep copy: same structure, mode and values, with tensors that share nothing with this
     * module (parameters keep their requiresGrad flag, gradients are not copied). Used by
     * block-replacement QAT to keep a frozen full-precision copy of a model.
     */
    @SuppressWarnings("unchecked")
    public <M extends Module> M copy() {
        java.util.IdentityHashMap<Object, Object> seen = new java.util.IdentityHashMap<>();
        return (M) deepCopy(seen);
    }

    private Module deepCopy(java.util.IdentityHashMap<Object, Object> seen) {
        Object done = seen.get(this);
        if (done != null) {
            return (Module) done;
        }
        Module c;
        try {
            c = (Module) super.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
        seen.put(this, c);
        c.params = new LinkedHashMap<>();
        c.buffers = new LinkedHashMap<>();
        c.children = new LinkedHashMap<>();
        params.forEach((k, v) -> c.params.put(k, v == null ? null : copyTensor(v, seen).requiresGrad(v.requiresGrad())));
        buffers.forEach((k, v) -> c.buffers.put(k, v == null ? null : copyTensor(v, seen)));
        children.forEach((k, v) -> c.children.put(k, v.deepCopy(seen)));
        c.afterCopy();
        return c;
    }

    /** Tensors shared by two slots (tied weights) stay shared in the copy. */
    private static Tensor copyTensor(Tensor t, java.util.IdentityHashMap<Object, Object> seen) {
        Object done = seen.get(t);
        if (done != null) {
            return (Tensor) done;
        }
        Tensor c = TensorScope.keep(t.cloneData());
        seen.put(t, c);
        return c;
    }

    /** Hook for subclasses with other mutable fields (an Rng, say) to copy them after {@link #copy()}. */
    protected void afterCopy() {
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        describe(sb, "", 0);
        return sb.toString();
    }

    /** One line describing this module's own configuration, e.g. {@code Conv2d(3, 16, k=3)}. */
    protected String describe() {
        return getClass().getSimpleName();
    }

    private void describe(StringBuilder sb, String name, int depth) {
        sb.append("  ".repeat(depth)).append(name.isEmpty() ? "" : "(" + name + "): ").append(describe()).append('\n');
        children.forEach((k, v) -> v.describe(sb, k, depth + 1));
    }
}
