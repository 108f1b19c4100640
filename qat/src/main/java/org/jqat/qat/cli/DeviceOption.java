package org.jqat.qat.cli;

import java.util.Locale;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import picocli.CommandLine.Option;

/**
 * {@code --device cpu|cuda} for the commands that run a model (train, qat, reproduce, eval):
 * where the model's parameters and each batch live. Host work (data loading, metrics, quantizer
 * initialisation, checkpoints) keeps running on the host backend chosen with {@code --backend}.
 */
final class DeviceOption {

    @Option(names = "--device", paramLabel = "cpu|cuda", defaultValue = "cpu",
            description = "Where the model runs: cpu (default; host ops use --backend) or cuda (the GPU through the cuda "
                    + "backend; batches are copied up, loss and metrics read back). Without a usable GPU, cuda fails at once "
                    + "with the reason.")
    String device = "cpu";

    /** The chosen device; for CUDA, checks first that a backend can serve it (one-line reason otherwise). */
    Device resolve() {
        Device d = switch (device.toLowerCase(Locale.ROOT)) {
            case "cpu" -> Device.CPU;
            case "cuda", "gpu" -> Device.CUDA;
            default -> throw new IllegalArgumentException("--device must be cpu or cuda, got '" + device + "'");
        };
        if (d != Device.CPU) {
            String why = null;
            for (Backend b : Backends.all()) {
                if (b.device() == d) {
                    String reason = b.unavailableReason();
                    if (reason == null) {
                        return d;
                    }
                    why = (why == null ? "" : why + "; ") + b.name() + " backend unavailable: " + reason;
                }
            }
            throw new IllegalStateException("--device " + device + ": "
                    + (why == null ? "no backend for " + d + " on the class path (jqat-kernels-cuda)" : oneLine(why)));
        }
        return d;
    }

    /** The host backend, and for a device the backend that runs the model there. */
    static String describe(Device d) {
        String host = Backends.cpu().describe();
        return d == Device.CPU ? host : host + "; model on " + oneLine(Backends.forDevice(d).describe());
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
