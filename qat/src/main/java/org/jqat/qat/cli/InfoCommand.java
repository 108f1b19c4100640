package org.jqat.qat.cli;

import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;
import picocli.CommandLine.Command;

/** {@code jqat info}: what this machine offers (backends, threads, vector width). */
@Command(name = "info", mixinStandardHelpOptions = true, description = "Lists backends (with why any is unavailable), threads, vector width, CUDA availability and the JVM.")
final class InfoCommand implements Runnable {

    @Override
    public void run() {
        System.out.println("jqat 0.1.0-SNAPSHOT on " + System.getProperty("java.vm.name") + " " + Runtime.version()
                + ", " + Runtime.getRuntime().availableProcessors() + " processors, max heap "
                + Runtime.getRuntime().maxMemory() / (1 << 20) + " MiB");
        System.out.println("default CPU backend: " + Backends.cpu().name());
        for (Backend b : Backends.all()) {
            String why = b.unavailableReason();
            System.out.println("  " + b.name() + " (" + b.device() + ", priority " + b.priority() + "): "
                    + (why == null ? b.describe() : "unavailable: " + why));
        }
        boolean cudaBackend = Backends.all().stream().anyMatch(b -> b.device() == Device.CUDA);
        boolean cudaUsable = Backends.all().stream().anyMatch(b -> b.device() == Device.CUDA && b.unavailableReason() == null);
        System.out.println("CUDA: " + (cudaUsable ? "available" : cudaBackend ? "not available (see the cuda backend above)"
                : "no CUDA backend on the class path"));
    }
}
