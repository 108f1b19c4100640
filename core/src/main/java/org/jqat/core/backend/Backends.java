package org.jqat.core.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Finds backends with {@link ServiceLoader} and says which one runs host (CPU) ops.
 *
 * <p>The default CPU backend is the available one with the highest priority (one passed over
 * because it cannot run is named, with its reason, in a single {@link System.Logger} warning); the system property
 * {@code jqat.backend} or {@link #use(String)} picks another by name. {@link #using(String)} switches
 * for a try-with-resources scope on the current thread, which is how tests run the same code on
 * two backends.
 */
public final class Backends {
    private static volatile List<Backend> all;
    private static volatile Backend globalCpu;
    private static final ThreadLocal<Backend> scoped = new ThreadLocal<>();
    private static final System.Logger LOG = System.getLogger(Backends.class.getName());

    private Backends() {
    }

    /** Every backend on the class path, available or not, highest priority first. */
    public static List<Backend> all() {
        List<Backend> list = all;
        if (list == null) {
            synchronized (Backends.class) {
                if (all == null) {
                    List<Backend> found = new ArrayList<>();
                    for (Backend b : ServiceLoader.load(Backend.class)) {
                        found.add(b);
                    }
                    found.sort(Comparator.comparingInt(Backend::priority).reversed());
                    all = List.copyOf(found);
                }
                list = all;
            }
        }
        return list;
    }

    /** The backend with this name; fails with the list of known names, or with the reason it is unavailable. */
    public static Backend get(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        for (Backend b : all()) {
            if (b.name().equals(wanted)) {
                String why = b.unavailableReason();
                if (why != null) {
                    throw new IllegalStateException("backend '" + name + "' is not available: " + why);
                }
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "'; known: "
                + all().stream().map(Backend::name).toList());
    }

    /**
     * The backend that runs ops on tensors held on {@code device}; fails with a one-line message
     * giving each unavailable backend's reason (or saying that none is on the class path).
     */
    public static Backend forDevice(Device device) {
        if (device == Device.CPU) {
            return cpu();
        }
        List<String> why = new ArrayList<>();
        for (Backend b : all()) {
            if (b.device() == device) {
                String reason = b.unavailableReason();
                if (reason == null) {
                    return b;
                }
                why.add(b.name() + ": " + reason);
            }
        }
        throw new IllegalStateException("no available backend for device " + device
                + (why.isEmpty() ? " (none on the class path)" : " (" + String.join("; ", why) + ")"));
    }

    /** The backend that runs host ops on this thread now. */
    public static Backend cpu() {
        Backend s = scoped.get();
        if (s != null) {
            return s;
        }
        Backend g = globalCpu;
        if (g == null) {
            synchronized (Backends.class) {
                if (globalCpu == null) {
                    String prop = System.getProperty("jqat.backend");
                    globalCpu = prop != null && !prop.isBlank() ? requireCpu(get(prop)) : fastestCpu();
                }
                g = globalCpu;
            }
        }
        return g;
    }

    /** Makes the named backend the default for host ops on every thread. */
    public static void use(String name) {
        globalCpu = requireCpu(get(name));
    }

    /** Runs host ops of this thread on the named backend until the returned scope closes. */
    public static Scope using(String name) {
        return using(get(name));
    }

    /** Runs host ops of this thread on {@code backend} until the returned scope closes. */
    public static Scope using(Backend backend) {
        Backend previous = scoped.get();
        scoped.set(requireCpu(backend));
        return () -> scoped.set(previous);
    }

    /**
     * The available CPU backend with the highest priority. Passing over one that cannot run (the
     * {@code cpu} backend on a class path without {@code --add-modules jdk.incubator.vector}) logs
     * one warning through {@link System.Logger} naming it and its reason: falling back silently
     * would leave a user wondering why training is many times slower.
     */
    private static Backend fastestCpu() {
        List<String> passedOver = new ArrayList<>();
        Backend chosen = null;
        for (Backend b : all()) {
            if (b.device() != Device.CPU) {
                continue;
            }
            String why = b.unavailableReason();
            if (why == null) {
                chosen = b;
                break;
            }
            passedOver.add("'" + b.name() + "' (" + why + ")");
        }
        if (chosen == null) {
            chosen = new ReferenceBackend();
        }
        if (!passedOver.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "jqat: backend " + String.join(", ", passedOver)
                    + " is not available; host ops run on the '" + chosen.name() + "' backend instead");
        }
        return chosen;
    }

    private static Backend requireCpu(Backend b) {
        if (b.device() != Device.CPU) {
            throw new IllegalArgumentException("backend '" + b.name() + "' runs on " + b.device()
                    + "; move tensors there with Tensor.to(Device." + b.device() + ") instead");
        }
        return b;
    }

    /** A scope that restores the previous backend when closed. */
    @FunctionalInterface
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
