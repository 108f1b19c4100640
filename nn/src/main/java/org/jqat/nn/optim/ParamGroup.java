package org.jqat.nn.optim;

import java.util.List;
import org.jqat.core.Tensor;

/**
 * Parameters that share a learning rate and weight decay, as a PyTorch param group. QAT, for
 * instance, trains quantizer step sizes in their own group without weight decay. Schedulers
 * change {@link #lr} relative to {@link #initialLr}.
 */
public final class ParamGroup {
    private final String name;
    private final List<Tensor> params;
    private double initialLr;
    private double lr;
    private double weightDecay;

    public ParamGroup(String name, List<Tensor> params, double lr, double weightDecay) {
        if (!(lr >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("group '" + name + "': lr and weight decay must be >= 0, got " + lr + ", " + weightDecay);
        }
        this.name = name;
        this.params = List.copyOf(params);
        this.initialLr = lr;
        this.lr = lr;
        this.weightDecay = weightDecay;
    }

    public String name() {
        return name;
    }

    public List<Tensor> params() {
        return params;
    }

    public double lr() {
        return lr;
    }

    public void setLr(double lr) {
        this.lr = lr;
    }

    /** The learning rate the group was created with (PyTorch's {@code initial_lr}). */
    public double initialLr() {
        return initialLr;
    }

    /** Restored from a checkpoint, so a resumed schedule scales from the original rate. */
    void setInitialLr(double initialLr) {
        this.initialLr = initialLr;
    }

    public double weightDecay() {
        return weightDecay;
    }

    public void setWeightDecay(double weightDecay) {
        this.weightDecay = weightDecay;
    }
}
