package org.jqat.nn.layers;

import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/**
 * Zeroes each element with probability p in training mode and scales the rest by 1/(1-p)
 * (inverted dropout, so eval mode is the identity). The mask comes from this layer's own
 * seeded {@link Rng}, so runs are reproducible.
 */
public class Dropout extends Module {
    public final float p;
    private Rng rng;

    public Dropout(float p, Rng rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.rng = rng;
    }

    /** The generator the masks are drawn from (save its state for exact resume). */
    public Rng rng() {
        return rng;
    }

    @Override
    public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) {
            return x;
        }
        float keep = 1 / (1 - p);
        float[] mask = new float[x.numel()];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = rng.nextFloat() < p ? 0f : keep;
        }
        return x.mul(Tensor.of(mask, x.shape()).to(x.device()));
    }

    @Override
    protected void afterCopy() {
        // The copy continues the same sequence independently instead of sharing the generator.
        Rng r = new Rng(0);
        r.restore(rng.state());
        rng = r;
    }

    @Override
    protected String describe() {
        return "Dropout(p=" + p + ")";
    }
}
