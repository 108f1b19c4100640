package org.jqat.nn.infer;

import java.util.List;
import org.jqat.core.Tensor;
import org.jqat.core.Threads;
import org.jqat.nn.Module;

/**
 * A model prepared for inference by {@link Inference#optimize}: batch norms folded, epilogues
 * fused, always in eval mode. {@link #forward} records no autograd graph and closes every
 * intermediate activation when it returns, so a recycling backend (the cpu backend's pool) serves
 * the next call from the same memory instead of allocating. It cannot train: train the original
 * model and optimize it again.
 *
 * <p>On the CPU a large batch runs as chunks of {@link #chunk()} images ({@link ChunkedForward}),
 * each chunk through the whole network on one thread, {@link Threads#count()} chunks at a time. A
 * chunk's activations stay in the core's cache from one layer to the next, where a whole batch of
 * 128 CIFAR images (8 MiB per activation) would stream through memory at every layer. Each
 * image's result is the same whatever the chunking, since no op mixes images in eval mode.
 */
public final class InferenceModel extends Module {
    /**
     * Images per chunk by default. A CIFAR ResNet's largest activation for 8 images is 512 KiB, so
     * a layer's input and output fit a core's L2 (1 MiB on the machines measured) together.
     * ResNet-20 at batch 128 on 2 threads (Zen 5, alternating JVMs, 2026-11-30): 44 ms per batch
     * in chunks of 16 or 32 against 50–64 ms whole; later 39.5–41.6 ms in chunks of 8 against
     * 40.0–43.1 in chunks of 16 (means 40.2 and 41.4), 40.1–40.9 in chunks of 4.
     */
    public static final int DEFAULT_CHUNK = 8;

    private final Module body;
    private volatile int chunk = DEFAULT_CHUNK;

    InferenceModel(Module body) {
        this.body = registerModule("model", body);
        super.train(false);
    }

    /** Images per chunk on the CPU (see the class comment). */
    public int chunk() {
        return chunk;
    }

    /**
     * Sets the images per chunk on the CPU; {@code Integer.MAX_VALUE} runs every batch whole, each
     * layer split across threads. Returns this.
     */
    public InferenceModel chunk(int images) {
        if (images < 1) {
            throw new IllegalArgumentException("inference chunk must be at least 1 image, got " + images);
        }
        this.chunk = images;
        return this;
    }

    @Override
    public Tensor forward(Tensor x) {
        return ChunkedForward.run(List.of(body), x, chunk, new boolean[] {true})[0];
    }

    /**
     * @throws UnsupportedOperationException when asked to train: the folded layers have no batch
     *                                       statistics to update and no gradients to give
     */
    @Override
    public Module train(boolean on) {
        if (on) {
            throw new UnsupportedOperationException("an InferenceModel cannot train: train the original model and call Inference.optimize again");
        }
        return super.train(false);
    }
}
