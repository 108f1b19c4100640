package org.jqat.examples;

import java.nio.file.Path;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.qat.br.BlockReplacement;
import org.jqat.qat.br.BrConfig;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.jqat.qat.export.QatExport;
import org.jqat.qat.infer.IntModel;
import org.jqat.qat.train.Objective;

/**
 * Example: block-replacement QAT in a loop of one's own over tensors (no data loader, no
 * trainer), then export and integer inference. Returns how many of the batch's images the integer
 * model classifies as the fake-quantized model does.
 */
public final class BlockReplacementLoop {
    public static int run(Path file) {
        MnistCnn fp = new MnistCnn(new Rng(0));   // a trained float model in real use
        Tensor images = Tensor.randn(new Rng(1), 16, 1, 28, 28);
        int[] labels = new int[16];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i % 10;
        }
        // [snippet:block-replacement]
        QatConfig config = QatConfig.builder().method(QatMethod.LSQ).bits(4).build();
        MnistCnn lp = Qat.convert(fp, config);
        BlockReplacement br = BlockReplacement.wrap(lp, fp, BrConfig.defaults());
        SGD opt = new SGD(Qat.paramGroups(lp, 0.01, 5e-4, 0.001), 0.9, 0, false);
        lp.train();
        for (int step = 0; step < 5; step++) {
            opt.zeroGrad();
            Objective.StepResult r = br.forward(images, labels);   // tensors in, loss and LP logits out
            r.loss().backward();
            opt.step();
        }
        lp.eval();
        QatExport.export(lp, file);                  // refuses quantizers that never saw data
        IntModel integer = IntModel.load(file, Qat.convert(fp, config)); // refuses a template of other bits
        int[] classes = integer.predict(images);
        // [/snippet]
        MnistCnn fakeQuant = QatExport.load(file, Qat.convert(fp, config));
        fakeQuant.eval();
        int[] fake;
        try (var ng = org.jqat.core.Autograd.noGrad()) {
            fake = IntModel.argmax(fakeQuant.forward(images));
        }
        int agree = 0;
        for (int i = 0; i < classes.length; i++) {
            agree += classes[i] == fake[i] ? 1 : 0;
        }
        System.out.println("integer vs fake-quant agreement: " + agree + "/" + classes.length);
        return agree;
    }

    public static void main(String[] args) {
        run(Path.of(args.length > 0 ? args[0] : "mnist-cnn-w4a4.safetensors"));
    }
}
