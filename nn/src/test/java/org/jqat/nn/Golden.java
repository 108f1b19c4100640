package org.jqat.nn;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the golden cases: {@code -Djqat.golden} when non-empty, else {@code testdata/golden} above the working directory. */
public final class Golden {
    private Golden() {
    }

    public static Path dir() {
        String prop = System.getProperty("jqat.golden", "");
        if (!prop.isBlank()) {
            Path p = Path.of(prop);
            if (!Files.isDirectory(p)) {
                throw new IllegalStateException("jqat.golden=" + prop + " is not a directory");
            }
            return p;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("testdata/golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no golden cases: set -Djqat.golden=DIR or run from inside the repository");
    }
}
