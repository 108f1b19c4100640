package org.jqat.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every PTX module is on the class path, targets sm_80 and declares each kernel Java launches. */
class PtxResourcesTest {
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(");

    static Set<String> entries(String module) {
        byte[] z = CudaRuntime.ptx(module);
        String text = new String(z, 0, z.length - 1, StandardCharsets.US_ASCII);
        Set<String> names = new TreeSet<>();
        Matcher m = ENTRY.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    @Test
    void everyLaunchedKernelIsDeclared() {
        int checked = 0;
        for (Map.Entry<String, List<String>> e : Kernels.ALL.entrySet()) {
            Set<String> declared = entries(e.getKey());
            for (String k : e.getValue()) {
                assertTrue(declared.contains(k), "ptx/" + e.getKey() + ".ptx has no .entry " + k + "; declared: " + declared);
                checked++;
            }
        }
        assertTrue(checked >= 40, "kernel list looks truncated: " + checked);
    }

    @Test
    void headersTargetAmpereWithDriver580CompatiblePtx() {
        for (String module : Kernels.ALL.keySet()) {
            byte[] z = CudaRuntime.ptx(module);
            assertEquals(0, z[z.length - 1], "NUL-terminated for cuModuleLoadData");
            String text = new String(z, 0, z.length - 1, StandardCharsets.US_ASCII);
            assertTrue(text.contains(".target sm_80"), module + ": not built with -arch=compute_80");
            Matcher v = Pattern.compile("\\.version (\\d+)\\.(\\d+)").matcher(text);
            assertTrue(v.find(), module + ": no .version");
            int major = Integer.parseInt(v.group(1)), minor = Integer.parseInt(v.group(2));
            // Driver 580 (CUDA 13.0) JIT-compiles PTX ISA up to 9.0.
            assertTrue(major < 9 || (major == 9 && minor == 0), module + ": PTX ISA " + major + "." + minor + " is newer than driver 580 accepts");
        }
    }

    @Test
    void everyCudaSourceHasPtxAndViceVersa() throws IOException {
        Path src = Path.of("src/main/cuda");
        Path ptx = Path.of("src/main/resources/org/jqat/kernels/cuda/ptx");
        if (!Files.isDirectory(src)) {
            return; // run from elsewhere than the module directory
        }
        Set<String> cu = names(src, ".cu");
        Set<String> p = names(ptx, ".ptx");
        assertEquals(cu, p, "each src/main/cuda/X.cu needs a committed ptx/X.ptx (kernels-cuda/check-ptx.sh --write)");
        assertEquals(new TreeSet<>(Kernels.ALL.keySet()), p, "Kernels.ALL modules vs PTX files");
    }

    private static Set<String> names(Path dir, String ext) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            Set<String> out = new TreeSet<>();
            s.map(x -> x.getFileName().toString()).filter(n -> n.endsWith(ext))
                    .forEach(n -> out.add(n.substring(0, n.length() - ext.length())));
            return out;
        }
    }
}
