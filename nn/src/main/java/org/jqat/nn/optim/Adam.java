package org.jqat.nn.optim;

import java.util.List;
import org.jqat.core.Tensor;

/**
 * Adam (Kingma and Ba) with {@code torch.optim.Adam}'s update, and AdamW's decoupled weight
 * decay when {@code decoupled}:
 * <pre>
 *   Adam:  g = grad + wd·p          AdamW: p = p·(1 − lr·wd), g = grad
 *   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  (amsgrad: v̂ = max(v̂, v))
 *   p = p − lr/(1−β1^t) · m / (sqrt(v or v̂)/sqrt(1−β2^t) + eps)
 * </pre>
 */
public class Adam extends Optimizer {
    public final double beta1;
    public final double beta2;
    public final double eps;
    public final boolean amsgrad;
    public final boolean decoupled;

    public Adam(List<ParamGroup> groups, double beta1, double beta2, double eps, boolean amsgrad, boolean decoupled) {
        super(groups);
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps >= 0)) {
            throw new IllegalArgumentException("invalid Adam hyperparameters: betas (" + beta1 + ", " + beta2 + "), eps " + eps);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.amsgrad = amsgrad;
        this.decoupled = decoupled;
    }

    /** Adam over one group with PyTorch's defaults (β = 0.9, 0.999; eps 1e-8). */
    public Adam(List<Tensor> params, double lr, double weightDecay) {
        this(List.of(new ParamGroup("default", params, lr, weightDecay)), 0.9, 0.999, 1e-8, false, false);
    }

    @Override
    protected final void update(ParamGroup group, Tensor p, Tensor grad, ParamState s) {
        double lr = group.lr();
        double wd = group.weightDecay();
        Tensor m = s.tensors.computeIfAbsent("exp_avg", k -> Tensor.zerosLike(p));
        Tensor v = s.tensors.computeIfAbsent("exp_avg_sq", k -> Tensor.zerosLike(p));
        Tensor vmax = amsgrad ? s.tensors.computeIfAbsent("max_exp_avg_sq", k -> Tensor.zerosLike(p)) : null;
        long t = ++s.step;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        float stepSize = (float) (lr / bc1);
        float b1 = (float) beta1;
        float b2 = (float) beta2;
        float fwd = (float) wd;
        float decay = (float) (1 - lr * wd);
        float fBc2 = (float) bc2Sqrt;
        float fEps = (float) eps;
        float[] pa = HostArrays.of(p);
        float[] ga = HostArrays.of(grad);
        float[] ma = HostArrays.of(m);
        float[] va = HostArrays.of(v);
        float[] xa = amsgrad ? HostArrays.of(vmax) : null;
        if (pa != null && ga != null && ma != null && va != null && (!amsgrad || xa != null)) {
            for (int j = 0; j < pa.length; j++) {
                float g = ga[j];
                if (decoupled) {
                    pa[j] *= decay;
                } else {
                    g += fwd * pa[j];
                }
                ma[j] = b1 * ma[j] + (1 - b1) * g;
                va[j] = b2 * va[j] + (1 - b2) * g * g;
                float second = va[j];
                if (amsgrad) {
                    xa[j] = Math.max(xa[j], va[j]);
                    second = xa[j];
                }
                float denom = (float) Math.sqrt(second) / fBc2 + fEps;
                pa[j] -= stepSize * ma[j] / denom;
            }
            return;
        }
        // Generic path (device memory, views): the same formula with tensor ops.
        Tensor g = grad;
        if (decoupled) {
            p.affineInPlace_(decay, 0f);
        } else if (wd != 0) {
            g = grad.add(p.mul(fwd));
        }
        m.affineInPlace_(b1, 0f).addInPlace_(g.mul(1 - b1));
        v.affineInPlace_(b2, 0f).addInPlace_(g.square().mul(1 - b2));
        Tensor second = v;
        if (amsgrad) {
            vmax.copyFrom_(vmax.maximum(v));
            second = vmax;
        }
        Tensor denom = second.sqrt().div(fBc2).add(fEps);
        p.addInPlace_(m.div(denom).mul(-stepSize));
    }
}
