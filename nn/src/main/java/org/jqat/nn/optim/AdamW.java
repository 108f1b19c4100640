package org.jqat.nn.optim;

import java.util.List;
import org.jqat.core.Tensor;

/** Adam with decoupled weight decay (Loshchilov and Hutter), as {@code torch.optim.AdamW}. */
public final class AdamW extends Adam {

    public AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps, boolean amsgrad) {
        super(groups, beta1, beta2, eps, amsgrad, true);
    }

    /** AdamW over one group with PyTorch's defaults (β = 0.9, 0.999; eps 1e-8; weight decay 0.01 is the caller's). */
    public AdamW(List<Tensor> params, double lr, double weightDecay) {
        this(List.of(new ParamGroup("default", params, lr, weightDecay)), 0.9, 0.999, 1e-8, false);
    }
}
