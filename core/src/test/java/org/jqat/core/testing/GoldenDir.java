package org.jqat.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where tests find golden cases: the {@code jqat.golden} system property when set (CI points it
 * at the shared directory, which may hold more cases than the repository), else the copy in
 * {@code testdata/golden} found by walking up from the working directory.
 */
public final class GoldenDir {
    private GoldenDir() {
    }

    public static Path locate() {
        String prop = System.getProperty("jqat.golden", "");
        if (!prop.isBlank()) {
            Path p = Path.of(prop);
            if (!Files.isDirectory(p)) {
                throw new IllegalStateException("jqat.golden=" + prop + " is not a directory");
            }
            return p;
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata/golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no golden cases: set -Djqat.golden=DIR or run from inside the repository");
    }
}
