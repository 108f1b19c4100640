package org.jqat.examples;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.nn.infer.Inference;
import org.jqat.nn.infer.InferenceModel;
import org.jqat.nn.zoo.CifarResNet;

/**
 * Example: load PyTorch weights from safetensors (keys {@code param.<name>}) and run inference,
 * as the eval-mode model and as the {@link Inference#optimize} copy built for serving.
 */
public final class PytorchWeights {
    /** Returns the largest |logit − PyTorch's logit| on the file's input {@code x}. */
    public static double run(Path file) {
        CifarResNet model = CifarResNet.resnet20(CifarResNet.Shortcut.B, new Rng(0)); // 1x1-conv shortcuts, as the file
        Map<String, Tensor> state = new LinkedHashMap<>();
        Tensor x;
        Tensor expected;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : f.names()) {
                if (name.startsWith("param.")) {
                    state.put(name.substring("param.".length()), Tensor.of(f.get(name).toFloatArray(), f.get(name).shape()));
                }
            }
            x = Tensor.of(f.get("x").toFloatArray(), f.get("x").shape());
            expected = Tensor.of(f.get("logits_eval").toFloatArray(), f.get("logits_eval").shape());
        }
        model.loadStateDict(state, true);
        model.eval();
        float[] got;
        try (var ng = Autograd.noGrad()) {
            got = model.forward(x).toFloatArray();
        }
        // [snippet:serving]
        InferenceModel fast = Inference.optimize(model); // a copy: model itself is untouched
        Tensor served = fast.forward(x);                   // no graph; intermediates recycled
        // [/snippet]
        float[] fastLogits = served.toFloatArray();
        float[] want = expected.toFloatArray();
        double max = 0;
        for (int i = 0; i < got.length; i++) {
            max = Math.max(max, Math.max(Math.abs(got[i] - want[i]), Math.abs(fastLogits[i] - want[i])));
        }
        System.out.println("max |logit diff| vs PyTorch (eval model and Inference.optimize): " + max);
        return max;
    }

    public static void main(String[] args) {
        run(Path.of(args.length > 0 ? args[0] : "testdata/golden/resnet20_cifar.safetensors"));
    }
}
