package org.jqat.qat.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.core.backend.Device;
import org.jqat.datasets.Batch;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.Module;
import org.jqat.nn.checkpoint.Checkpoint;
import org.jqat.nn.layers.Dropout;
import org.jqat.nn.optim.Optimizer;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.sched.CosineAnnealingLR;
import org.jqat.nn.sched.LRScheduler;
import org.jqat.nn.sched.MultiStepLR;
import org.jqat.nn.sched.StepLR;

/**
 * Epochs of training and evaluation with metrics, checkpoints and exact resume.
 *
 * <p>Exact resume rests on three things: the loader's batches depend only on (seed, epoch,
 * batch index); every dropout generator is reseeded from (seed, epoch) at the start of each
 * epoch; and the checkpoint written after each epoch holds the model, optimizer and scheduler
 * state. A run killed anywhere and restarted with the same configuration continues from the
 * last finished epoch and ends with bit-identical weights (same backend and thread count).
 *
 * <p><b>Devices.</b> The model must already be on {@link TrainConfig#device()} when the trainer
 * is built: move it with {@code model.to(device)} first, then build the parameter groups (the
 * trainer's SGD holds the parameter tensors, so it cannot move them itself without leaving the
 * caller's groups pointing at stale copies). The constructor checks this and fails naming the
 * misplaced tensor. Each batch's images are moved to the device before the forward pass; labels
 * stay on the host; loss and metrics are read back with {@code item()} / {@code toFloatArray()}.
 * Checkpoints are written from and loaded into the device tensors (safetensors on disk).
 *
 * <p><b>Memory.</b> Each training step (and each evaluation batch) runs inside a
 * {@link TensorScope}: the tensors it makes are closed when it ends, so device memory comes back
 * step by step. Gradients are cleared at the end of the step for the same reason; parameters,
 * buffers and optimizer state are kept. The host waits for the device twice per step: the loss
 * and the logits for the metrics.
 *
 * <p><b>Output.</b> The trainer prints nothing but the progress bar ({@link TrainConfig#progress()},
 * drawn only when stderr is a terminal). What it has to say goes to the {@link System.Logger}
 * {@value #LOGGER}: one line per finished epoch at {@code DEBUG}, a resume or a finished run at
 * {@code INFO}; {@link #onEpoch} hands each epoch's record to the program. The command line routes
 * that logger to stderr.
 */
public final class Trainer {
    public static final String LAST = RunDirectory.LAST;
    public static final String BEST = RunDirectory.BEST;
    public static final String METRICS = RunDirectory.METRICS;
    /** The {@link System.Logger} name the trainer (and its run directory) reports through. */
    public static final String LOGGER = "org.jqat.qat.train";
    static final System.Logger LOG = System.getLogger(LOGGER);

    private final Objective objective;
    private final DataLoader train;
    private final DataLoader test;
    private final TrainConfig config;
    private final Optimizer optimizer;
    private final LRScheduler scheduler;
    private final ProgressBar progress;
    private final List<Map<String, Object>> history = new ArrayList<>();
    private long stepsDone;
    private IntConsumer stepHook = step -> { };
    private java.util.function.Consumer<Map<String, Object>> epochHook = rec -> { };
    private Map<String, ?> extraSettings = Map.of();
    private java.util.Set<String> mayChange = java.util.Set.of();

    /** Trains with SGD over the model's trainable parameters (one group). */
    public Trainer(Objective objective, DataLoader train, DataLoader test, TrainConfig config) {
        this(objective, train, test, config, List.of(new ParamGroup("default",
                objective.model().trainableParameters(), config.lr(), config.weightDecay())));
    }

    /**
     * Trains with SGD over the given parameter groups (QAT puts quantizer parameters in a group of
     * their own, with their own learning rate and no weight decay).
     */
    public Trainer(Objective objective, DataLoader train, DataLoader test, TrainConfig config, List<ParamGroup> groups) {
        checkDevice(objective.model(), groups, config.device());
        if (train.batchesPerEpoch() < 1) {
            throw new IllegalArgumentException("batch size " + train.batchSize() + " is larger than the "
                    + train.dataset().size() + " training images (the last partial batch is dropped): no step would run");
        }
        this.objective = objective;
        this.train = train;
        this.test = test;
        this.config = config;
        this.optimizer = new SGD(groups, config.momentum(), 0, config.nesterov());
        this.scheduler = scheduler(config, optimizer, train.batchesPerEpoch());
        this.progress = new ProgressBar(config.progress());
    }

    private static void checkDevice(Module model, List<ParamGroup> groups, Device device) {
        Device at = model.device();
        if (at != device) {
            throw new IllegalStateException("the model is on " + at + " but TrainConfig.device is " + device
                    + ": call model.to(Device." + device + ") before building the Trainer and its parameter groups");
        }
        for (ParamGroup g : groups) {
            for (Tensor p : g.params()) {
                if (p.device() != device) {
                    throw new IllegalStateException("parameter group '" + g.name() + "' holds a tensor of shape "
                            + java.util.Arrays.toString(p.shape()) + " on " + p.device() + " while training runs on " + device
                            + ": build the parameter groups after model.to(Device." + device + ")");
                }
            }
        }
    }

    /** The batch with its images on the training device (labels stay on the host). */
    private Batch onDevice(Batch b) {
        Device d = config.device();
        Tensor images = b.images();
        return images.device() == d ? b : new Batch(images.to(d), b.labels(), b.indices(), b.epoch(), b.index());
    }

    private static LRScheduler scheduler(TrainConfig c, Optimizer opt, int stepsPerEpoch) {
        int unit = c.perIteration() ? stepsPerEpoch : 1;
        long planned = (long) c.epochs() * unit;
        if (c.maxSteps() > 0 && c.perIteration()) {
            planned = Math.min(planned, c.maxSteps()); // the cosine ends where the shortened run does
        }
        int annealed = (int) Math.max(1, planned - (long) c.warmupEpochs() * unit);
        return switch (c.schedule()) {
            case COSINE -> new CosineAnnealingLR(opt, annealed, 0, c.warmupEpochs() * unit, 0.1);
            case STEP -> new StepLR(opt, c.stepSize() * unit, c.gamma());
            case MULTISTEP -> new MultiStepLR(opt, c.milestones().stream().mapToInt(m -> m * unit).toArray(), c.gamma());
            case CONSTANT -> new StepLR(opt, Integer.MAX_VALUE, 1.0);
        };
    }

    /** Called with the global step number after each optimizer step (tests use it to interrupt a run). */
    public Trainer onStep(IntConsumer hook) {
        this.stepHook = hook;
        return this;
    }

    /**
     * Called after each finished epoch with its record: the row {@code metrics.jsonl} gets
     * ({@code epoch}, {@code lr}, {@code train_loss}, {@code train_top1}, {@code test_top1}...).
     */
    public Trainer onEpoch(java.util.function.Consumer<Map<String, Object>> hook) {
        this.epochHook = java.util.Objects.requireNonNull(hook, "hook");
        return this;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    /** One JSON-ready record per finished epoch of this run (and, after a resume, of this process only). */
    public List<Map<String, Object>> history() {
        return List.copyOf(history);
    }

    /** The result of {@link #fit}: the epochs run (the last one partial when maxSteps stopped it), the last epoch's and the best test metrics. */
    public record Result(int epochs, double lastTop1, double bestTop1, double lastTop5, double lastLoss,
                         double trainImagesPerSecond, double seconds) {
    }

    /**
     * Adds settings that define the run beyond this trainer's own (model, data set, batch size,
     * quantization...) to what the run directory stores and checks on resume, and names the
     * settings a resume may change (e.g. {@code epochs}); every other difference is refused.
     */
    public Trainer runSettings(Map<String, ?> extra, java.util.Set<String> mayChange) {
        this.extraSettings = Map.copyOf(extra);
        this.mayChange = java.util.Set.copyOf(mayChange);
        return this;
    }

    /** Everything that defines this run, as stored in the run directory. */
    Map<String, Object> settings() {
        TrainConfig c = config;
        Map<String, Object> m = new java.util.TreeMap<>();
        m.put("epochs", c.epochs());
        m.put("lr", c.lr());
        m.put("momentum", c.momentum());
        m.put("nesterov", c.nesterov());
        m.put("weight_decay", c.weightDecay());
        m.put("schedule", c.schedule().name().toLowerCase(Locale.ROOT));
        m.put("warmup", c.warmupEpochs());
        m.put("step_per", c.perIteration() ? "iteration" : "epoch");
        m.put("step_size", c.stepSize());
        m.put("gamma", c.gamma());
        m.put("milestones", c.milestones());
        m.put("label_smoothing", (double) c.labelSmoothing());
        m.put("clip_norm", c.clipNorm());
        m.put("seed", c.seed());
        m.put("device", c.device().name().toLowerCase(Locale.ROOT));
        m.put("train_batches_per_epoch", train.batchesPerEpoch());
        m.putAll(extraSettings);
        return m;
    }

    /** Runs (or resumes) training for the configured epochs (or {@link TrainConfig#maxSteps()} steps). */
    public Result fit() {
        Path out = config.outputDir();
        if (out == null) {
            return fit(null);
        }
        try (RunDirectory run = RunDirectory.open(out, settings(), mayChange, config.resume(), config.epochs())
                .withCheckpointMetadata(config.checkpointMetadata())) {
            return fit(run);
        }
    }

    private Result fit(RunDirectory run) {
        Module model = objective.model();
        int start = run == null ? 0 : run.finishedEpochs();
        double best = run == null ? Double.NEGATIVE_INFINITY : run.bestTop1();
        if (start > 0) {
            try (TensorScope loading = TensorScope.open()) { // temporaries of the load; the state is kept
                Checkpoint.load(run.last(), model, optimizer, scheduler, null, true);
            } catch (org.jqat.nn.StateDictException e) {
                throw new IllegalStateException(run.last() + " holds another model than this run's: " + e.getMessage(), e);
            }
            LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "resuming from %s after epoch %d", run.last(), start));
        }
        if (run != null) {
            run.writeConfig();
        }
        long t0 = System.nanoTime();
        Metrics lastTest = null;
        double trainRate = 0;
        long trainImages = 0;
        double trainSeconds = 0;
        if (start == config.epochs() && start > 0) {
            // Nothing left to train: report the committed result instead of an empty one.
            Map<String, Object> lastRow = run.history().get(start - 1);
            LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "%s already finished its %d epochs; nothing to train",
                    config.outputDir(), start));
            double top1 = number(lastRow, test == null ? "train_top1" : "test_top1");
            return new Result(config.epochs(), test == null ? Double.NaN : top1, best, number(lastRow, "test_top5"),
                    number(lastRow, "test_loss"), 0, (System.nanoTime() - t0) / 1e9);
        }
        int epochsRun = config.epochs();
        try (HeapWatch heap = new HeapWatch()) {
            for (int epoch = start; epoch < config.epochs(); epoch++) {
                heap.reset();
                Metrics tm = trainEpoch(epoch);
                long liveHeap = heap.maxLiveMiB();
                trainImages += tm.count();
                trainSeconds += tm.seconds();
                lastTest = test == null ? null : evaluate(test, "test " + (epoch + 1));
                double top1 = lastTest == null ? tm.top1() : lastTest.top1();
                best = Math.max(best, top1);
                Map<String, Object> rec = record(epoch, tm, lastTest, liveHeap);
                history.add(rec);
                if (run != null) {
                    try (TensorScope saving = TensorScope.open()) { // state-dict copies are released once written
                        run.commit(model, optimizer, scheduler, rec, top1);
                    }
                }
                if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
                    LOG.log(System.Logger.Level.DEBUG, String.format(Locale.ROOT,
                            "epoch %d/%d: train loss %.4f top1 %.2f%% | test loss %.4f top1 %.2f%% top5 %.2f%% | %.0f img/s",
                            epoch + 1, config.epochs(), tm.loss(), tm.top1(), lastTest == null ? Double.NaN : lastTest.loss(),
                            lastTest == null ? Double.NaN : lastTest.top1(), lastTest == null ? Double.NaN : lastTest.top5(),
                            tm.imagesPerSecond()));
                }
                epochHook.accept(java.util.Collections.unmodifiableMap(rec));
                if (maxStepsReached()) {
                    epochsRun = epoch + 1;
                    break;
                }
            }
        }
        trainRate = trainSeconds > 0 ? trainImages / trainSeconds : 0;
        return new Result(epochsRun, lastTest == null ? Double.NaN : lastTest.top1(), best,
                lastTest == null ? Double.NaN : lastTest.top5(), lastTest == null ? Double.NaN : lastTest.loss(),
                trainRate, (System.nanoTime() - t0) / 1e9);
    }

    /** True once {@link TrainConfig#maxSteps()} optimizer steps have run (never when it is 0). */
    private boolean maxStepsReached() {
        return config.maxSteps() > 0 && stepsDone >= config.maxSteps();
    }

    /** Optimizer steps this trainer has run (in this process). */
    public long steps() {
        return stepsDone;
    }

    private static double number(Map<String, Object> row, String key) {
        return row.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private Metrics trainEpoch(int epoch) {
        Module model = objective.model();
        model.train();
        resetPeakHeap();
        reseedDropout(model, config.seed(), epoch);
        Metrics m = new Metrics();
        int total = train.batchesPerEpoch();
        int step = 0;
        try (DataLoader.Epoch batches = train.epoch(epoch)) {
            while (batches.hasNext() && !maxStepsReached()) {
                Batch hostBatch = batches.next();
                // Everything the step makes (the batch on the device, activations, saved tensors,
                // gradients, the loss) is released when its scope closes, not when the GC runs.
                try (TensorScope stepScope = TensorScope.open()) {
                    Batch b = onDevice(hostBatch);
                    optimizer.zeroGrad();
                    objective.startStep((long) epoch * total + step);
                    Objective.StepResult r = objective.forward(b);
                    float loss = r.loss().item(); // host round trip 1 of 2: the loss (and the divergence check)
                    if (!Float.isFinite(loss)) {
                        throw new TrainingDivergedException(String.format(Locale.ROOT,
                                "loss is %s at epoch %d, step %d of %d (global step %d); lower the learning rate or check the data",
                                loss, epoch + 1, step + 1, total, epoch * total + step + 1));
                    }
                    r.loss().backward();
                    if (config.clipNorm() > 0) {
                        Optimizer.clipGradNorm(model.trainableParameters(), config.clipNorm());
                    }
                    optimizer.step();
                    m.add(loss, r.logits().detach(), b.labels()); // round trip 2 of 2: the logits, for accuracy
                    optimizer.zeroGrad(); // gradients belong to the step: released with its scope
                }
                if (config.perIteration()) {
                    scheduler.step();
                }
                step++;
                stepsDone++;
                progress.update("epoch " + (epoch + 1), step, total, m);
                stepHook.accept(epoch * total + step);
            }
        }
        if (!config.perIteration()) {
            scheduler.step();
        }
        return m.finish(); // its rate is the batches', not the evaluation's or the checkpoint's that follow
    }

    /**
     * Loss and accuracy of the model in eval mode over a whole loader, without recording a graph
     * (with this trainer's progress bar; {@link Evaluation#evaluate(Module, DataLoader)} needs no trainer).
     */
    public Metrics evaluate(DataLoader loader, String label) {
        return Evaluation.evaluate(objective.model(), loader, label, progress);
    }

    private Map<String, Object> record(int epoch, Metrics tm, Metrics em, long liveHeapMiB) {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("epoch", epoch + 1);
        rec.put("lr", optimizer.groups().get(0).lr());
        rec.put("train_loss", tm.loss());
        rec.put("train_top1", tm.top1());
        rec.put("train_images_per_s", tm.imagesPerSecond());
        rec.put("train_seconds", tm.seconds());
        rec.put("peak_heap_mib", peakHeapMiB());
        rec.put("live_heap_mib", liveHeapMiB);
        if (em != null) {
            rec.put("test_loss", em.loss());
            rec.put("test_top1", em.top1());
            rec.put("test_top5", em.top5());
        }
        return rec;
    }

    private static void resetPeakHeap() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Sum of the heap pools' peak usage since the epoch started (an upper bound of the live peak). */
    private static long peakHeapMiB() {
        long bytes = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                bytes += pool.getPeakUsage().getUsed();
            }
        }
        return bytes >> 20;
    }

    /** Dropout masks of epoch e depend only on (seed, e), so a resumed epoch replays them exactly. */
    static void reseedDropout(Module model, long seed, int epoch) {
        int k = 0;
        for (Module m : model.namedModules().values()) {
            if (m instanceof Dropout d) {
                d.rng().restore(new Rng(seed * 1_000_003L + epoch * 7919L + k++).state());
            }
        }
    }
}
