package org.jqat.datasets;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.datasets.transforms.Image;
import org.jqat.datasets.transforms.Transform;

/**
 * Turns a {@link Dataset} into mini-batches: seeded per-epoch shuffling, per-sample transforms,
 * batching into {@code [N, C, H, W]} tensors, optional drop-last, and background prefetch.
 *
 * <p>Determinism: the order of epoch {@code e} is {@code new Rng(f(seed, e)).permutation(n)} and
 * sample {@code i}'s augmentation uses {@code Seeds.sampleRng(seed, e, i)}, so the batches depend
 * only on (seed, epoch, batch index), not on the worker count or timing. A run resumed at
 * epoch {@code e}, batch {@code b} via {@link #epoch(int, int)} sees exactly the batches the
 * original run saw from there on.
 *
 * <pre>{@code
 * try (DataLoader loader = DataLoader.builder(ds).batchSize(128).shuffle(true).seed(42)
 *         .transform(t).workers(4).build()) {
 *     for (int e = 0; e < epochs; e++) {
 *         try (DataLoader.Epoch it = loader.epoch(e)) {
 *             while (it.hasNext()) { Batch b = it.next(); ... }
 *         }
 *     }
 * }
 * }</pre>
 */
public final class DataLoader implements AutoCloseable {
    private final Dataset dataset;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean dropLast;
    private final long seed;
    private final Transform transform;
    private final int workers;
    private final int prefetch;
    private final List<Epoch> open = new ArrayList<>();
    private boolean closed;

    private DataLoader(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.dropLast = b.dropLast;
        this.seed = b.seed;
        this.transform = b.transform;
        this.workers = b.workers;
        this.prefetch = b.prefetch < 0 ? Math.max(2, 2 * b.workers) : b.prefetch;
    }

    public static Builder builder(Dataset dataset) {
        return new Builder(dataset);
    }

    /** Configuration of a {@link DataLoader}; defaults: batch 1, no shuffle, seed 0, no workers. */
    public static final class Builder {
        private final Dataset dataset;
        private int batchSize = 1;
        private boolean shuffle;
        private boolean dropLast;
        private long seed;
        private Transform transform;
        private int workers;
        private int prefetch = -1;

        private Builder(Dataset dataset) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
        }

        public Builder batchSize(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("batch size must be positive: " + n);
            }
            this.batchSize = n;
            return this;
        }

        public Builder shuffle(boolean on) {
            this.shuffle = on;
            return this;
        }

        /** Drop the last batch of an epoch when it is smaller than the batch size. */
        public Builder dropLast(boolean on) {
            this.dropLast = on;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Per-sample transform applied to {@link Example#toImage()} (values 0..255). */
        public Builder transform(Transform t) {
            this.transform = t;
            return this;
        }

        /** Background threads; 0 builds batches on the caller's thread. */
        public Builder workers(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("workers must be >= 0: " + n);
            }
            this.workers = n;
            return this;
        }

        /** Most batches built ahead of the consumer (queue bound); default {@code max(2, 2 * workers)}. */
        public Builder prefetch(int n) {
            if (n <= 0) {
                throw new IllegalArgumentException("prefetch must be positive: " + n);
            }
            this.prefetch = n;
            return this;
        }

        public DataLoader build() {
            return new DataLoader(this);
        }
    }

    public Dataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Batches per epoch, honouring drop-last. */
    public int batchesPerEpoch() {
        int n = dataset.size();
        // long arithmetic: a batch size near Integer.MAX_VALUE must not wrap to zero batches
        return (int) (dropLast ? n / batchSize : ((long) n + batchSize - 1) / batchSize);
    }

    /** Sample order of {@code epoch}: a seeded permutation when shuffling, else 0..n-1. */
    public int[] order(int epoch) {
        int n = dataset.size();
        if (!shuffle) {
            int[] p = new int[n];
            Arrays.setAll(p, i -> i);
            return p;
        }
        return new Rng(Seeds.epochSeed(seed, epoch)).permutation(n);
    }

    /** Iterates all batches of {@code epoch}. */
    public Epoch epoch(int epoch) {
        return epoch(epoch, 0);
    }

    /** Iterates the batches of {@code epoch} from batch {@code startBatch} on (for resume). */
    public synchronized Epoch epoch(int epoch, int startBatch) {
        if (closed) {
            throw new IllegalStateException("DataLoader is closed");
        }
        int total = batchesPerEpoch();
        if (startBatch < 0 || startBatch > total) {
            throw new IllegalArgumentException("start batch " + startBatch + " outside [0, " + total + "]");
        }
        Epoch e = new Epoch(this, epoch, order(epoch), startBatch, total);
        open.add(e);
        return e;
    }

    synchronized void forget(Epoch e) {
        open.remove(e);
    }

    /** Builds batch {@code b} of an epoch with the given order; pure function of its arguments. */
    Batch makeBatch(int epoch, int[] order, int b) {
        int from = (int) Math.min(order.length, (long) b * batchSize);
        int to = (int) Math.min(order.length, (long) from + batchSize);
        int n = to - from;
        int[] labels = new int[n];
        int[] indices = Arrays.copyOfRange(order, from, to);
        float[] data = null;
        int c = 0;
        int h = 0;
        int w = 0;
        for (int k = 0; k < n; k++) {
            int idx = indices[k];
            Example ex = dataset.get(idx);
            Image img = ex.toImage();
            if (transform != null) {
                img = transform.apply(img, Seeds.sampleRng(seed, epoch, idx));
            }
            if (data == null) {
                c = img.channels();
                h = img.height();
                w = img.width();
                data = new float[n * c * h * w];
            } else if (img.channels() != c || img.height() != h || img.width() != w) {
                throw new DatasetException("sample " + idx + " has shape " + img.channels() + "x" + img.height() + "x"
                        + img.width() + " but the batch has " + c + "x" + h + "x" + w
                        + "; add a transform that brings all images to one size (Resize + CenterCrop)");
            }
            System.arraycopy(img.data(), 0, data, k * c * h * w, c * h * w);
            labels[k] = ex.label();
        }
        return new Batch(Tensor.of(data, n, c, h, w), labels, indices, epoch, b);
    }

    int workers() {
        return workers;
    }

    int prefetch() {
        return prefetch;
    }

    /** Closes every open epoch iterator and stops their threads; later {@link #epoch} calls fail. */
    @Override
    public void close() {
        List<Epoch> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayList<>(open);
        }
        for (Epoch e : toClose) {
            e.close();
        }
    }

    /** The batches of one epoch, in order; close it to stop its prefetch threads early. */
    public static final class Epoch extends Prefetcher {
        Epoch(DataLoader loader, int epoch, int[] order, int start, int end) {
            super(loader, epoch, order, start, end);
        }
    }
}
