package org.jqat.nn.optim;

import java.util.List;
import org.jqat.core.Tensor;

/**
 * Stochastic gradient descent with exactly {@code torch.optim.SGD}'s semantics:
 * <pre>
 *   d = grad + wd·p
 *   buf = d                                (first step)
 *   buf = momentum·buf + (1−dampening)·d   (later steps)
 *   d = nesterov ? d + momentum·buf : buf
 *   p = p − lr·d
 * </pre>
 */
public final class SGD extends Optimizer {
    public final double momentum;
    public final double dampening;
    public final boolean nesterov;

    public SGD(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        super(groups);
        if (momentum < 0 || dampening < 0) {
            throw new IllegalArgumentException("momentum and dampening must be >= 0");
        }
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    /** One group over {@code params}. */
    public SGD(List<Tensor> params, double lr, double momentum, double weightDecay, boolean nesterov) {
        this(List.of(new ParamGroup("default", params, lr, weightDecay)), momentum, 0, nesterov);
    }

    @Override
    protected void update(ParamGroup group, Tensor p, Tensor grad, ParamState s) {
        float lr = (float) group.lr();
        float wd = (float) group.weightDecay();
        float mom = (float) momentum;
        float keep = (float) (1 - dampening);
        Tensor buf = s.tensors.get("momentum_buffer");
        boolean first = momentum != 0 && buf == null;
        if (first) {
            buf = Tensor.zerosLike(p);
            s.tensors.put("momentum_buffer", buf);
        }
        s.step++;
        float[] pa = HostArrays.of(p);
        float[] ga = HostArrays.of(grad);
        float[] ba = momentum == 0 ? null : HostArrays.of(buf);
        if (pa != null && ga != null && (momentum == 0 || ba != null)) {
            for (int j = 0; j < pa.length; j++) {
                float d = ga[j] + wd * pa[j];
                if (momentum != 0) {
                    ba[j] = first ? d : mom * ba[j] + keep * d;
                    d = nesterov ? d + mom * ba[j] : ba[j];
                }
                pa[j] -= lr * d;
            }
            return;
        }
        // Generic path (device memory, views): the same formula with tensor ops.
        Tensor d = wd != 0 ? grad.add(p.mul(wd)) : grad;
        if (momentum != 0) {
            if (first) {
                buf.copyFrom_(d);
            } else {
                buf.affineInPlace_(mom, 0f).addInPlace_(d.mul(keep));
            }
            d = nesterov ? d.add(buf.mul(mom)) : buf;
        }
        p.addInPlace_(d.mul(-lr));
    }
}
