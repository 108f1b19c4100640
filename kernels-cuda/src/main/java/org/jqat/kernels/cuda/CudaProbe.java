package org.jqat.kernels.cuda;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Decides once whether CUDA is usable here, never throwing: loads the JCuda driver natives, calls
 * {@code cuInit} and counts devices, catching every {@link Throwable}. The system property
 * {@code jqat.cuda.disable=true} forces the backend off.
 */
final class CudaProbe {
    private static volatile Result result;

    /** The outcome: a runtime when usable, else the reason it is not. */
    record Result(CudaRuntime runtime, String reason) {
    }

    private CudaProbe() {
    }

    static Result get() {
        Result r = result;
        if (r == null) {
            synchronized (CudaProbe.class) {
                if (result == null) {
                    result = probe();
                }
                r = result;
            }
        }
        return r;
    }

    /** Replaces the probed outcome (a dry run installs itself so); returns the previous one. */
    static synchronized Result override(Result r) {
        Result previous = get();
        result = r;
        return previous;
    }

    private static Result probe() {
        if (Boolean.getBoolean("jqat.cuda.disable")) {
            return new Result(null, "disabled by -Djqat.cuda.disable=true");
        }
        try {
            return new Result(DriverRuntime.open(), null);
        } catch (DriverRuntime.NoDeviceException e) {
            return new Result(null, e.getMessage());
        } catch (Throwable t) {
            if (isLinux() && !driverLibraryPresent()) {
                return new Result(null, "no CUDA driver: libcuda.so.1 not found (" + firstLine(chain(t)) + ")");
            }
            return new Result(null, describe(t));
        }
    }

    private static String chain(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            all.append(c.getClass().getSimpleName()).append(": ").append(c.getMessage()).append("; ");
        }
        return all.toString();
    }

    static String describe(Throwable t) {
        String text = chain(t);
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.contains("libcuda.so")) {
            return "no CUDA driver: libcuda.so.1 not found (" + firstLine(text) + ")";
        }
        if (lower.contains("cuda_error_no_device")) {
            return "no CUDA device";
        }
        if (t instanceof UnsatisfiedLinkError || t instanceof NoClassDefFoundError) {
            return "JCuda natives could not be loaded: " + firstLine(text);
        }
        return "CUDA initialisation failed: " + firstLine(text);
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        t = nl >= 0 ? t.substring(0, nl) : t;
        return t.length() > 300 ? t.substring(0, 300) + "..." : t;
    }

    private static boolean isLinux() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux");
    }

    /** Whether the dynamic loader can see libcuda.so.1 (standard dirs, LD_LIBRARY_PATH, ld.so.cache). */
    static boolean driverLibraryPresent() {
        String[] dirs = {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu", "/lib64",
                "/usr/local/cuda/lib64", "/usr/local/cuda/compat", "/usr/lib/wsl/lib", "/usr/local/nvidia/lib64",
                "/usr/local/nvidia/lib", "/usr/lib/aarch64-linux-gnu"};
        for (String d : dirs) {
            if (Files.exists(Path.of(d, "libcuda.so.1"))) {
                return true;
            }
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String d : ld.split(":")) {
                if (!d.isBlank() && Files.exists(Path.of(d, "libcuda.so.1"))) {
                    return true;
                }
            }
        }
        try {
            byte[] cache = Files.readAllBytes(Path.of("/etc/ld.so.cache"));
            String s = new String(cache, java.nio.charset.StandardCharsets.ISO_8859_1);
            return s.contains("libcuda.so.1");
        } catch (Exception | Error e) {
            return false;
        }
    }
}
