package org.jqat.qat.train;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jqat.core.backend.Device;

/**
 * Settings of one training run. Defaults follow the usual CIFAR ResNet recipe (SGD 0.1 with
 * Nesterov momentum 0.9, weight decay 5e-4, cosine schedule stepped per iteration).
 *
 * @param outputDir  where checkpoints ({@code last.safetensors}, {@code best.safetensors}) and
 *                   {@code metrics.jsonl} go; null keeps nothing on disk
 * @param resume     continue from {@code outputDir/last.safetensors} when it exists (default false:
 *                   a program run twice trains afresh, replacing the previous run's files; the
 *                   command line turns it on, {@code --no-resume} off)
 * @param progress   draw a progress bar on stderr (only when stderr is a terminal; default false)
 * @param clipNorm   gradient-norm clipping threshold, 0 for none
 * @param device     where the model lives and each batch is moved before the forward pass
 *                   (default {@link Device#CPU}); the model must already be there when the
 *                   {@link Trainer} is built (move it with {@code Module.to}, then build the
 *                   parameter groups)
 * @param checkpointMetadata extra entries every checkpoint of the run records (e.g. the
 *                   preprocessing the model expects, {@code preprocessing.mean/std})
 * @param maxSteps   stop after this many optimizer steps in all, even inside an epoch (the last
 *                   epoch's metrics then cover the steps it ran, and a per-iteration schedule spans
 *                   the shortened run); 0 for none. A run directory commits whole epochs only, so
 *                   {@code maxSteps} needs {@code outputDir} unset: save the model yourself
 *                   ({@code Module.save}).
 *
 * <p>{@code lr} and {@code weightDecay} set the one parameter group the trainer makes when it is
 * given none; parameter groups passed to the {@link Trainer} carry their own learning rates and
 * weight decays (e.g. {@code Qat.paramGroups(model, lr, weightDecay, quantizerLr)}), which the
 * schedule then scales.
 */
public record TrainConfig(int epochs, double lr, double momentum, boolean nesterov, double weightDecay,
                          Schedule schedule, int warmupEpochs, boolean perIteration, int stepSize, double gamma,
                          List<Integer> milestones, float labelSmoothing, double clipNorm, long seed, Path outputDir,
                          boolean resume, boolean progress, Device device, Map<String, String> checkpointMetadata,
                          long maxSteps) {

    public TrainConfig {
        if (epochs <= 0) {
            throw new IllegalArgumentException("epochs must be positive, got " + epochs);
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            throw new IllegalArgumentException("learning rate must be positive and finite, got " + lr);
        }
        // Comparisons written so that NaN fails them: a NaN setting must stop here, not in a later JSON write.
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay must be finite and not negative, got " + weightDecay);
        }
        if (!(gamma > 0) || !Double.isFinite(gamma)) {
            throw new IllegalArgumentException("gamma must be positive and finite, got " + gamma);
        }
        if (stepSize < 1) {
            throw new IllegalArgumentException("step size must be at least 1 epoch, got " + stepSize);
        }
        for (Integer m : milestones) {
            if (m == null || m < 1) {
                throw new IllegalArgumentException("milestones must be positive epochs, got " + milestones);
            }
        }
        if (!(clipNorm >= 0) || !Double.isFinite(clipNorm)) {
            throw new IllegalArgumentException("gradient clipping norm must be finite and not negative, got " + clipNorm);
        }
        if (warmupEpochs < 0 || warmupEpochs >= epochs && warmupEpochs > 0) {
            throw new IllegalArgumentException("warm-up epochs must be in [0, epochs), got " + warmupEpochs);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
            throw new IllegalArgumentException("label smoothing must be in [0, 1), got " + labelSmoothing);
        }
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(device, "device");
        milestones = List.copyOf(milestones);
        if (outputDir != null && outputDir.toString().isBlank()) {
            throw new IllegalArgumentException("output directory is empty; name one (or leave it unset to keep nothing on disk)");
        }
        checkpointMetadata = Map.copyOf(checkpointMetadata);
        if (maxSteps < 0) {
            throw new IllegalArgumentException("maxSteps must be positive, or 0 for none, got " + maxSteps);
        }
        if (maxSteps > 0 && outputDir != null) {
            throw new IllegalArgumentException("maxSteps (" + maxSteps + ") can stop inside an epoch, which a run directory cannot "
                    + "resume; leave outputDir unset and save the model with Module.save, or bound the run with epochs");
        }
    }

    /** This configuration with {@code entries} added to every checkpoint's metadata. */
    public TrainConfig withCheckpointMetadata(Map<String, String> entries) {
        Map<String, String> m = new java.util.LinkedHashMap<>(checkpointMetadata);
        m.putAll(entries);
        return new TrainConfig(epochs, lr, momentum, nesterov, weightDecay, schedule, warmupEpochs, perIteration, stepSize,
                gamma, milestones, labelSmoothing, clipNorm, seed, outputDir, resume, progress, device, m, maxSteps);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder with the defaults above. */
    public static final class Builder {
        private int epochs = 10;
        private double lr = 0.1;
        private double momentum = 0.9;
        private boolean nesterov = true;
        private double weightDecay = 5e-4;
        private Schedule schedule = Schedule.COSINE;
        private int warmupEpochs;
        private boolean perIteration = true;
        private int stepSize = 30;
        private double gamma = 0.1;
        private List<Integer> milestones = List.of();
        private float labelSmoothing;
        private double clipNorm;
        private long seed;
        private Path outputDir;
        private boolean resume;
        private boolean progress;
        private Device device = Device.CPU;
        private Map<String, String> checkpointMetadata = Map.of();
        private long maxSteps;

        public Builder epochs(int v) { epochs = v; return this; }
        public Builder lr(double v) { lr = v; return this; }
        public Builder momentum(double v) { momentum = v; return this; }
        public Builder nesterov(boolean v) { nesterov = v; return this; }
        public Builder weightDecay(double v) { weightDecay = v; return this; }
        public Builder schedule(Schedule v) { schedule = v; return this; }
        public Builder warmupEpochs(int v) { warmupEpochs = v; return this; }
        public Builder perIteration(boolean v) { perIteration = v; return this; }
        public Builder stepSize(int v) { stepSize = v; return this; }
        public Builder gamma(double v) { gamma = v; return this; }
        public Builder milestones(List<Integer> v) { milestones = v; return this; }
        public Builder labelSmoothing(float v) { labelSmoothing = v; return this; }
        public Builder clipNorm(double v) { clipNorm = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder outputDir(Path v) { outputDir = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }
        public Builder progress(boolean v) { progress = v; return this; }
        public Builder device(Device v) { device = v; return this; }
        public Builder checkpointMetadata(Map<String, String> v) { checkpointMetadata = v; return this; }
        public Builder maxSteps(long v) { maxSteps = v; return this; }

        public TrainConfig build() {
            return new TrainConfig(epochs, lr, momentum, nesterov, weightDecay, schedule, warmupEpochs, perIteration,
                    stepSize, gamma, milestones, labelSmoothing, clipNorm, seed, outputDir, resume, progress, device, checkpointMetadata,
                    maxSteps);
        }
    }
}
