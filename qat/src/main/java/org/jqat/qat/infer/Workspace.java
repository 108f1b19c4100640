package org.jqat.qat.infer;

import java.util.HashMap;
import java.util.Map;

/**
 * The arrays a call's steps write their activations into, kept by {@link IntModel} per calling
 * thread and handed out again on that thread's next call: a batch of 128 CIFAR images allocates
 * (and the JVM zeroes) about 100 MiB of activations per call otherwise. Each role keeps two arrays,
 * so a step can write its output while it still reads an input of the same role (the residual
 * stream). Steps write every element they hand on, so stale contents are never read. Arrays never
 * leave {@link IntModel}: logits are copied into a new tensor. It also keeps each layer's weights
 * widened to 16 bits (2 bytes a weight; floats, 4 bytes, for layers in float lanes), so packed weights are unpacked once per thread, not per call.
 */
final class Workspace {
    private final Map<String, Object[]> slots = new HashMap<>();
    private final Map<Constant, Object> constants = new HashMap<>();

    /** A constant's key: its owner (compared by identity), the variant of it (a layer's weight layout) and its type. */
    private record Constant(Object owner, int variant, Class<?> type) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Constant c && c.owner == owner && c.variant == variant && c.type == type;
        }

        @Override
        public int hashCode() {
            return (System.identityHashCode(owner) * 31 + variant) * 31 + type.hashCode();
        }
    }

    /**
     * A constant derived from {@code owner} (a layer's widened weights in one layout, as
     * {@code type}), computed on this thread's first call.
     */
    <T> T constant(Object owner, int variant, Class<T> type, java.util.function.Supplier<T> make) {
        return type.cast(constants.computeIfAbsent(new Constant(owner, variant, type), k -> make.get()));
    }

    /**
     * An int array of exactly {@code n} elements for {@code role}, not {@code avoid}. Roles keep
     * their arrays per length: a ResNet's stages (and the grid and dense forms of its stream) ask
     * for several, and two slots shared by all of them were reallocated on every call.
     */
    int[] ints(String role, int n, int[] avoid) {
        Object[] two = slots.computeIfAbsent("i:" + role + ":" + n, k -> new Object[2]);
        for (int s = 0; s < 2; s++) {
            if (two[s] instanceof int[] a && a.length == n && a != avoid) {
                return a;
            }
        }
        int[] a = new int[n];
        two[two[0] == avoid && avoid != null ? 1 : 0] = a;
        return a;
    }

    /** A short array of exactly {@code n} elements for {@code role}. */
    short[] shorts(String role, int n) {
        Object[] two = slots.computeIfAbsent("s:" + role + ":" + n, k -> new Object[2]);
        if (two[0] instanceof short[] a && a.length == n) {
            return a;
        }
        short[] a = new short[n];
        two[0] = a;
        return a;
    }

    /** A byte array of exactly {@code n} elements for {@code role}, not {@code avoid}. */
    byte[] bytes(String role, int n, byte[] avoid) {
        Object[] two = slots.computeIfAbsent("b:" + role + ":" + n, k -> new Object[2]);
        for (int s = 0; s < 2; s++) {
            if (two[s] instanceof byte[] a && a.length == n && a != avoid) {
                return a;
            }
        }
        byte[] a = new byte[n];
        two[two[0] == avoid && avoid != null ? 1 : 0] = a;
        return a;
    }
}
