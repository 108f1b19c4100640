package org.jqat.core.testing;

import java.util.function.Function;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;

/**
 * Central-difference gradient check for float32 ops. The scalar probed is
 * {@code L = Σ f(x)·w} with fixed random weights w, summed in double so that rounding noise
 * stays far below the tolerance; the tolerance still catches a wrong factor or sign.
 */
public final class GradCheck {
    private GradCheck() {
    }

    /** Checks the gradient of every input that requires grad, with step 1e-2 and tolerance 1e-2 abs + 1e-2 rel. */
    public static void check(String name, Function<Tensor[], Tensor> f, Tensor... inputs) {
        check(name, f, 1e-2, 1e-2, 1e-2, inputs);
    }

    public static void check(String name, Function<Tensor[], Tensor> f, double eps, double atol, double rtol, Tensor... inputs) {
        for (Tensor t : inputs) {
            t.zeroGrad();
        }
        Tensor out = f.apply(inputs);
        float[] w = Tensor.randn(new Rng(1234), out.shape()).toFloatArray();
        out.backward(Tensor.of(w, out.shape()));
        for (int k = 0; k < inputs.length; k++) {
            Tensor in = inputs[k];
            if (!in.requiresGrad()) {
                continue;
            }
            if (in.grad() == null) {
                throw new AssertionError(name + ": input " + k + " got no gradient");
            }
            float[] analytic = in.grad().toFloatArray();
            float[] data = in.toFloatArray();
            for (int i = 0; i < data.length; i++) {
                float orig = data[i];
                double plus = probe(f, inputs, k, data, i, (float) (orig + eps), w);
                double minus = probe(f, inputs, k, data, i, (float) (orig - eps), w);
                data[i] = orig;
                set(inputs[k], data);
                double numeric = (plus - minus) / (2 * eps);
                double a = analytic[i];
                if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric))) {
                    throw new AssertionError(String.format("%s: d/d input%d[%d]: analytic %.6g vs numeric %.6g",
                            name, k, i, a, numeric));
                }
            }
        }
    }

    private static double probe(Function<Tensor[], Tensor> f, Tensor[] inputs, int k, float[] data, int i, float v, float[] w) {
        data[i] = v;
        set(inputs[k], data);
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            float[] y = f.apply(inputs).toFloatArray();
            double sum = 0;
            for (int j = 0; j < y.length; j++) {
                sum += (double) y[j] * w[j];
            }
            return sum;
        }
    }

    private static void set(Tensor t, float[] data) {
        try (Autograd.NoGrad ignored = Autograd.noGrad()) {
            t.copyFrom_(Tensor.of(data, t.shape()));
        }
    }
}
