package org.jqat.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.ReduceOp;
import org.jqat.core.backend.UnaryOp;
import org.junit.jupiter.api.Test;

/**
 * The op codes kernels switch on are the Java enums' ordinals ({@code op.ordinal()} is what the
 * backend passes): each {@code #define U_/B_/R_<NAME> n} in the CUDA sources must name an enum
 * constant whose ordinal is n, and every constant must have one. Reordering or adding an enum
 * constant without the matching {@code #define} (and a PTX rebuild) fails here instead of
 * silently running another op on the GPU.
 */
class OpCodesTest {
    private static final Path SRC = Path.of("src/main/cuda");

    @Test
    void unaryOpsMatchElementwiseCu() throws IOException {
        assertMatches(UnaryOp.class, "elementwise.cu", "U_");
    }

    @Test
    void binaryOpsMatchElementwiseCu() throws IOException {
        assertMatches(BinaryOp.class, "elementwise.cu", "B_");
    }

    @Test
    void reduceOpsMatchReduceCu() throws IOException {
        assertMatches(ReduceOp.class, "reduce.cu", "R_");
    }

    private static <E extends Enum<E>> void assertMatches(Class<E> type, String file, String prefix) throws IOException {
        assumeTrue(Files.isDirectory(SRC), "run from the kernels-cuda module directory");
        String text = Files.readString(SRC.resolve(file));
        Map<String, Integer> defines = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\s*#define\\s+" + prefix + "([A-Z0-9_]+)\\s+(\\d+)\\s*$").matcher(text);
        while (m.find()) {
            defines.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> ordinals = new LinkedHashMap<>();
        for (E e : type.getEnumConstants()) {
            ordinals.put(e.name(), e.ordinal());
        }
        assertEquals(ordinals, defines, type.getSimpleName() + " ordinals vs the " + prefix + "* #defines of " + file
                + " (update the #defines, then kernels-cuda/check-ptx.sh --write)");
    }
}
