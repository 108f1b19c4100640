package org.jqat.qat.infer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jqat.core.Tensor;
import org.jqat.core.backend.VectorApi;
import org.jqat.nn.Module;

/**
 * A QAT model exported by {@link org.jqat.qat.export.QatExport}, run with integer arithmetic on
 * the CPU: int8/uint8 activation codes, int8 weight codes (4/2/1-bit weights stay packed and are
 * unpacked per call), exact 16-bit accumulation where the layer's code ranges allow it and int32
 * elsewhere, fixed-point requantization fused into each convolution with batch norm, bias and ReLU
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
    private final List<Step> steps;
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

    private float[] run(Act a) {
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
