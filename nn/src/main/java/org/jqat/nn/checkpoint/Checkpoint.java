package org.jqat.nn.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsException;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.SafetensorsWriter;
import org.jqat.core.io.TensorEntry;
import org.jqat.nn.Module;
import org.jqat.nn.optim.Optimizer;
import org.jqat.nn.sched.LRScheduler;

/**
 * Everything needed to resume training, in one safetensors file: the model's state dict
 * ({@code model.<key>}), the optimizer's ({@code optim.<key>}), the scheduler's
 * ({@code sched.<key>}), the RNG state ({@code rng.state}, I64) and string metadata, with the
 * epoch in {@code __metadata__} as {@code jqat.epoch}. Writes are atomic (temporary file, fsync,
 * rename), so a crash mid-write leaves the previous checkpoint intact.
 */
public final class Checkpoint {
    public static final String MODEL = "model.";
    public static final String OPTIM = "optim.";
    public static final String SCHED = "sched.";
    public static final String RNG = "rng.state";
    public static final String EPOCH = "jqat.epoch";
    public static final String FORMAT = "jqat.format";

    private Checkpoint() {
    }

    /** The parts of a checkpoint; any but the model may be empty or null. */
    public record Contents(Map<String, Tensor> model, Map<String, Tensor> optim, Map<String, Tensor> sched,
                           int epoch, long[] rngState, Map<String, String> metadata) {
    }

    /**
     * Saves a checkpoint atomically.
     *
     * @param optimizer null to leave out
     * @param scheduler null to leave out
     * @param rng       null to leave out
     * @param metadata  user entries (keys must not start with {@code jqat.})
     */
    public static void save(Path file, Module model, Optimizer optimizer, LRScheduler scheduler, int epoch, Rng rng,
                            Map<String, String> metadata) {
        write(file, new Contents(model.stateDict(), optimizer == null ? Map.of() : optimizer.stateDict(),
                scheduler == null ? Map.of() : scheduler.stateDict(), epoch, rng == null ? null : rng.state(), metadata));
    }

    /** Writes the given contents atomically. */
    public static void write(Path file, Contents c) {
        SafetensorsWriter w = new SafetensorsWriter();
        w.metadata(FORMAT, "1");
        w.metadata(EPOCH, Integer.toString(c.epoch()));
        if (c.metadata() != null) {
            c.metadata().forEach((k, v) -> {
                if (k.startsWith("jqat.")) {
                    throw new IllegalArgumentException("metadata key '" + k + "' uses the reserved prefix 'jqat.'");
                }
                w.metadata(k, v);
            });
        }
        addAll(w, MODEL, c.model());
        addAll(w, OPTIM, c.optim());
        addAll(w, SCHED, c.sched());
        if (c.rngState() != null) {
            w.addLongs(RNG, c.rngState(), c.rngState().length);
        }
        w.write(file);
    }

    private static void addAll(SafetensorsWriter w, String prefix, Map<String, Tensor> m) {
        if (m != null) {
            m.forEach((k, t) -> w.add(prefix + k, t.toFloatArray(), t.shape()));
        }
    }

    /** Reads a checkpoint's parts. */
    public static Contents read(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, Tensor> model = new LinkedHashMap<>();
            Map<String, Tensor> optim = new LinkedHashMap<>();
            Map<String, Tensor> sched = new LinkedHashMap<>();
            long[] rng = null;
            for (String name : f.names()) {
                TensorEntry e = f.get(name);
                if (name.equals(RNG)) {
                    rng = e.toLongArray();
                } else if (name.startsWith(MODEL)) {
                    model.put(name.substring(MODEL.length()), finite(file, name, tensor(e)));
                } else if (name.startsWith(OPTIM)) {
                    optim.put(name.substring(OPTIM.length()), tensor(e));
                } else if (name.startsWith(SCHED)) {
                    sched.put(name.substring(SCHED.length()), tensor(e));
                } else {
                    throw new IllegalArgumentException(file + ": unexpected tensor '" + name + "' in checkpoint");
                }
            }
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            String epoch = meta.remove(EPOCH);
            meta.remove(FORMAT);
            return new Contents(model, optim, sched, epoch(file, epoch), rng, meta);
        }
    }

    /** The stored epoch count: absent means 0; anything but a non-negative integer is a damaged file. */
    private static int epoch(Path file, String value) {
        if (value == null) {
            return 0;
        }
        try {
            int e = Integer.parseInt(value);
            if (e >= 0) {
                return e;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new SafetensorsException(file.toString(), null, "metadata " + EPOCH + " must be a non-negative integer, got '"
                + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "'");
    }

    /** Weights that are NaN or infinite would only surface later as a meaningless accuracy. */
    private static Tensor finite(Path file, String name, Tensor t) {
        float[] v = t.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            if (!Float.isFinite(v[i])) {
                throw new SafetensorsException(file.toString(), name, "holds " + v[i] + " at element " + i
                        + "; the checkpoint's weights are not finite");
            }
        }
        return t;
    }

    private static Tensor tensor(TensorEntry e) {
        return Tensor.of(e.toFloatArray(), e.shape());
    }

    /**
     * Loads a checkpoint into the given objects (any but the model may be null). Strict mode
     * throws naming every missing, unexpected and mis-shaped key (model keys through
     * {@link org.jqat.nn.StateDictException}) before changing anything; lenient mode loads what
     * fits and reports the rest.
     */
    public static LoadResult load(Path file, Module model, Optimizer optimizer, LRScheduler scheduler, Rng rng, boolean strict) {
        Contents c = read(file);
        java.util.List<String> problems = new java.util.ArrayList<>();
        var report = org.jqat.nn.LoadReport.compare(model.stateDict(), c.model());
        if (strict) {
            if (!report.isClean()) {
                throw new org.jqat.nn.StateDictException(report);
            }
            if (optimizer != null && c.optim().isEmpty()) {
                throw new IllegalArgumentException(file + ": checkpoint has no optimizer state");
            }
            if (rng != null && c.rngState() == null) {
                throw new IllegalArgumentException(file + ": checkpoint has no RNG state");
            }
        }
        model.loadStateDict(c.model(), false);
        if (optimizer != null && !c.optim().isEmpty()) {
            try {
                optimizer.loadStateDict(c.optim());
            } catch (IllegalArgumentException e) {
                if (strict) {
                    throw e;
                }
                problems.add(e.getMessage());
            }
        } else if (optimizer != null) {
            problems.add("no optimizer state in checkpoint");
        }
        if (scheduler != null && !c.sched().isEmpty()) {
            try {
                scheduler.loadStateDict(c.sched());
            } catch (IllegalArgumentException e) {
                if (strict) {
                    throw e;
                }
                problems.add(e.getMessage());
            }
        }
        if (rng != null && c.rngState() != null) {
            rng.restore(c.rngState());
        } else if (rng != null) {
            problems.add("no RNG state in checkpoint");
        }
        return new LoadResult(report, java.util.List.copyOf(problems), c.epoch(), c.metadata());
    }

    /** What {@link #load} found: the model's key report, other problems (lenient mode), epoch and metadata. */
    public record LoadResult(org.jqat.nn.LoadReport model, java.util.List<String> problems, int epoch,
                             Map<String, String> metadata) {
        public boolean isClean() {
            return model.isClean() && problems.isEmpty();
        }
    }
}
