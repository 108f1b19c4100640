package org.jqat.qat.infer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Tensor;
import org.jqat.core.Threads;
import org.jqat.core.backend.VectorApi;
import org.jqat.nn.Module;

/**
 * A QAT model exported by {@link org.jqat.qat.export.QatExport}, run with integer arithmetic on
 * the CPU: int8/uint8 activation codes, int8 weight codes (4/2/1-bit weights stay packed and are
 * unpacked per call), exact 16-bit accumulation where the layer's code ranges allow it and exact
 * float accumulation elsewhere (products of codes are integers, exact in a float below 2^24),
 * fixed-point requantization fused into each convolution with batch norm, bias and ReLU
 * folded in, an int32 residual stream, and the float first/last layers where the QAT config left
 * them float. A batch runs layer by layer, each layer split over {@link org.jqat.core.Threads}.
 * See {@code docs/qat.md} ("Integer inference").
 *
 * <pre>{@code
 * Module template = Qat.convert(new CifarResNet(20, Shortcut.A, new Rng(0)), config); // architecture only
 * IntModel m = IntModel.load(Path.of("resnet20-w4a4.safetensors"), template);
 * int[] classes = m.predict(images);   // images: [N, 3, 32, 32], normalised as in training
 * }</pre>
 */
public final class IntModel {
    /**
     * Images per chunk by default (see {@link #chunk(int)}). ResNet-20's largest activation for 8
     * images is 0.5 MiB of int32 stream, so a chunk's layers stay in a core's L2 (1 MiB here).
     */
    public static final int DEFAULT_CHUNK = Integer.getInteger("jqat.int.chunk", 8);

    private final List<Step> steps;
    private volatile int chunk = DEFAULT_CHUNK;
    private final long weightBytes;
    /** Each calling thread's activation arrays, reused by its next call (calls on several threads stay independent). */
    private final ThreadLocal<Workspace> workspace = ThreadLocal.withInitial(Workspace::new);

    IntModel(List<Step> steps, long weightBytes) {
        this.steps = List.copyOf(steps);
        this.weightBytes = weightBytes;
    }

    /**
     * Loads an exported file. {@code template} gives the architecture (the float model converted
     * with the same {@code QatConfig}); every value comes from the file. Supported: the CIFAR
     * ResNets ({@code CifarResNet}, both shortcut options) and sequential models of Conv2d, Linear,
     * BatchNorm2d, ReLU, MaxPool2d, Flatten, Dropout ({@code MnistCnn}, {@code Sequential}).
     *
     * @throws IllegalArgumentException naming the layer that cannot run in integers
     */
    public static IntModel load(Path file, Module template) {
        // Without jdk.incubator.vector (class path, no --add-modules) the scalar twins compute the same integers.
        return IntCompiler.compile(file, template, VectorApi.available());
    }

    /**
     * As {@link #load(Path, Module)}, with {@code simd = false} running every kernel's scalar twin.
     *
     * @throws IllegalStateException when {@code simd} is asked for on a JVM without {@code jdk.incubator.vector}
     */
    public static IntModel load(Path file, Module template, boolean simd) {
        if (simd && !VectorApi.available()) {
            throw new IllegalStateException("integer inference: SIMD kernels asked for, but " + VectorApi.unavailableReason());
        }
        return IntCompiler.compile(file, template, simd);
    }

    /** Logits of one image {@code [c][h][w]} (normalised as in training). */
    public float[] logits(float[] image, int c, int h, int w) {
        return run(Act.floats(1, c, h, w, image));
    }

    /**
     * Logits of a batch {@code [N, C, H, W]}: {@code [N, classes]}. The whole batch goes through
     * each layer at once; the layers split their work over {@code org.jqat.core.Threads.count()}
     * threads, and the logits do not depend on that count. Safe to call from several threads at
     * once: each calling thread keeps its own activation arrays (reused by its next call, about
     * 25 MiB for 128 CIFAR images) and scratch buffers are per thread.
     */
    public Tensor logits(Tensor batch) {
        int[] s = batch.shape();
        if (s.length != 4) {
            throw new IllegalArgumentException("integer inference: expects [N, C, H, W] images, got " + java.util.Arrays.toString(s));
        }
        float[] out = run(Act.floats(s[0], s[1], s[2], s[3], batch.contiguous().toFloatArray()));
        return Tensor.of(out, s[0], s[0] == 0 ? 0 : out.length / s[0]);
    }

    /** Images per chunk (see {@link #chunk(int)}). */
    public int chunk() {
        return chunk;
    }

    /**
     * Sets the images per chunk: a batch larger than this runs as chunks, each chunk through the
     * whole network on one thread, {@code Threads.count()} chunks at a time, so that a chunk's
     * activations stay in its core's cache from layer to layer (as {@code InferenceModel} does for
     * FP32). A whole batch of 128 CIFAR images streams 8 MiB of residual stream through memory at
     * every block, which made the requantize-and-add epilogues memory-bound. {@code
     * Integer.MAX_VALUE} runs every batch whole, each layer split across threads. The logits do not
     * depend on the chunking (no step mixes images). Returns this.
     */
    public IntModel chunk(int images) {
        if (images < 1) {
            throw new IllegalArgumentException("integer inference: chunk must be at least 1 image, got " + images);
        }
        this.chunk = images;
        return this;
    }

    private float[] run(Act a) {
        int n = a.n();
        int c = chunk;
        if (n <= c) {
            return runWhole(a);
        }
        int per = a.perImage();
        int parts = (n + c - 1) / c;
        float[][] out = new float[parts][];
        Threads.parallelFor(parts, p -> {
            int i0 = p * c;
            int i1 = Math.min(n, i0 + c);
            float[] images = java.util.Arrays.copyOfRange(a.fl(), i0 * per, i1 * per);
            out[p] = runWhole(Act.floats(i1 - i0, a.c(), a.h(), a.w(), images));
        });
        int classes = out[0].length / Math.min(n, c);
        float[] all = new float[n * classes];
        for (int p = 0; p < parts; p++) {
            System.arraycopy(out[p], 0, all, p * c * classes, out[p].length);
        }
        return all;
    }

    /** The batch through every step at once, each step's layers split across threads (inline when called from a chunk's part). */
    private float[] runWhole(Act a) {
        if (a.n() == 0) {
            return new float[0];
        }
        Workspace ws = workspace.get();
        for (Step s : steps) {
            a = s.apply(a, ws);
        }
        return a.fl() != null ? a.fl() : Steps.dequantize(a).fl();
    }

    /** The predicted class of every image of a batch {@code [N, C, H, W]}. */
    public int[] predict(Tensor batch) {
        return argmax(logits(batch));
    }

    /**
     * The index of the largest logit of each row of {@code [N, classes]} (the first on ties).
     *
     * @throws IllegalStateException naming the row when a logit is NaN or infinite: no class can
     *                               be read from it, and a silent pick would pass for a prediction
     */
    public static int[] argmax(Tensor logits) {
        int n = logits.size(0);
        int k = logits.size(1);
        float[] v = logits.toFloatArray();
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j = i * k; j < (i + 1) * k; j++) {
                if (!Float.isFinite(v[j])) {
                    throw new IllegalStateException("logits of image " + i + " hold " + v[j] + " (class " + (j - i * k)
                            + "): the model's weights or the input are not finite");
                }
            }
            out[i] = Agreement.argmax(v, i * k, k);
        }
        return out;
    }

    /** Bytes of integer weight codes held in memory (packed where the export packed them). */
    public long weightBytes() {
        return weightBytes;
    }

    /**
     * Bytes of every constant the engine holds: weight codes, per-channel requantization
     * constants, and the float layers the QAT config left in full precision.
     */
    public long memoryBytes() {
        long n = 0;
        for (Step s : steps) {
            n += s.bytes();
        }
        return n;
    }

    /** One line per pipeline step. */
    public List<String> describe() {
        List<String> out = new ArrayList<>();
        for (Step s : steps) {
            out.add(s.describe());
        }
        return out;
    }
}
