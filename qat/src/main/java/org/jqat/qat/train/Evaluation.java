package org.jqat.qat.train;

import java.util.Locale;
import org.jqat.core.Autograd;
import org.jqat.core.Functional;
import org.jqat.core.Tensor;
import org.jqat.core.TensorScope;
import org.jqat.datasets.Batch;
import org.jqat.datasets.DataLoader;
import org.jqat.nn.Module;

/**
 * Loss and top-1 / top-5 accuracy of a model in eval mode, without a {@link Trainer}: over a
 * whole loader, or over tensors. No graph is recorded; the model's training mode is restored
 * afterwards; images go to the model's device (labels stay on the host).
 *
 * <pre>{@code
 * Metrics m = Evaluation.evaluate(model, testLoader);
 * System.out.printf("top-1 %.2f%%%n", m.top1());
 * }</pre>
 */
public final class Evaluation {
    private Evaluation() {
    }

    /** Every batch of {@code loader}'s epoch 0. */
    public static Metrics evaluate(Module model, DataLoader loader) {
        return evaluate(model, loader, "evaluation", new ProgressBar(false));
    }

    /**
     * Images {@code [N, C, H, W]} with their {@code N} labels, in one forward pass (split a large
     * set into batches, or use a loader).
     */
    public static Metrics evaluate(Module model, Tensor images, int[] labels) {
        if (images.dim() < 1 || images.size(0) != labels.length) {
            throw new IllegalArgumentException("evaluate: " + labels.length + " labels for images of shape "
                    + java.util.Arrays.toString(images.shape()));
        }
        Metrics m = new Metrics();
        boolean wasTraining = model.isTraining();
        model.eval();
        try (Autograd.NoGrad ignored = Autograd.noGrad(); TensorScope scope = TensorScope.open()) {
            score(model, images, labels, m, "evaluation", 1, 1);
        } finally {
            model.train(wasTraining);
        }
        return m.finish();
    }

    static Metrics evaluate(Module model, DataLoader loader, String label, ProgressBar progress) {
        boolean wasTraining = model.isTraining();
        model.eval();
        Metrics m = new Metrics();
        int total = loader.batchesPerEpoch();
        int step = 0;
        try (Autograd.NoGrad ignored = Autograd.noGrad(); DataLoader.Epoch batches = loader.epoch(0)) {
            while (batches.hasNext()) {
                Batch b = batches.next();
                try (TensorScope batchScope = TensorScope.open()) {
                    score(model, b.images(), b.labels(), m, label, step + 1, total);
                }
                progress.update(label, ++step, total, m);
            }
        } finally {
            model.train(wasTraining);
        }
        return m.finish();
    }

    private static void score(Module model, Tensor images, int[] labels, Metrics m, String label, int batch, int total) {
        Tensor x = images.device() == model.device() ? images : images.to(model.device());
        Tensor logits = model.forward(x);
        float loss = Functional.crossEntropy(logits, labels).item();
        if (!Float.isFinite(loss)) {
            // Non-finite logits would still rank some class first and pass for an accuracy.
            throw new TrainingDivergedException(String.format(Locale.ROOT,
                    "%s: loss is %s at batch %d of %d; the model's weights or the data are not finite", label, loss, batch, total));
        }
        m.add(loss, logits, labels);
    }
}
