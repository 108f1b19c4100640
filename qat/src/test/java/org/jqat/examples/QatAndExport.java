package org.jqat.examples;

import java.nio.file.Path;
import org.jqat.core.Functional;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.optim.SGD;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.qat.convert.Qat;
import org.jqat.qat.convert.QatConfig;
import org.jqat.qat.convert.QatMethod;
import org.jqat.qat.export.QatExport;

/** Example: convert a model to QAT (LSQ W4A4), train a few steps, export integer weights. */
public final class QatAndExport {
    public static QatConfig config() {
        return QatConfig.builder().method(QatMethod.LSQ).bits(4).build();
    }

    /** The float architecture the example quantizes (a trained model in real use). */
    public static CifarResNet floatModel() {
        return new CifarResNet(8, CifarResNet.Shortcut.A, new Rng(0));
    }

    public static void run(Path out) {
        CifarResNet q = Qat.convert(floatModel(), config());
        SGD opt = new SGD(Qat.paramGroups(q, 0.05, 5e-4, 0.01), 0.9, 0, false);
        Rng rng = new Rng(1);
        q.train();
        for (int step = 0; step < 3; step++) {
            opt.zeroGrad();
            Functional.crossEntropy(q.forward(Tensor.randn(rng, 8, 3, 32, 32)), new int[] {0, 1, 2, 3, 4, 5, 6, 7}).backward();
            opt.step();
        }
        q.eval();
        QatExport.export(q, out);
        System.out.println("exported " + QatExport.layers(out).size() + " integer layers to " + out);
    }

    public static void main(String[] args) {
        run(Path.of(args.length > 0 ? args[0] : "resnet8-w4a4.safetensors"));
    }
}
