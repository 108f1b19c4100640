package org.jqat.core.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared real files (PyTorch checkpoints in {@code shared/models}, official data sets in
 * {@code shared/datasets}): a {@code shared/<name>} folder beside the checkout or one of its
 * ancestors, as in CI. Tests that need one are skipped (a JUnit assumption) when it is absent.
 */
public final class SharedData {
    private SharedData() {
    }

    /** {@code shared/models}, or skips the test. */
    public static Path models() {
        return folder("models");
    }

    /** {@code shared/datasets}, or skips the test. */
    public static Path datasets() {
        return folder("datasets");
    }

    /** A file under {@code shared/<folder>}, or skips the test when it is absent. */
    public static Path file(String folder, String name) {
        Path p = folder(folder).resolve(name);
        assumeTrue(Files.exists(p), "shared/" + folder + "/" + name + " not found; test skipped");
        return p;
    }

    private static Path folder(String name) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path p = d.resolve("shared").resolve(name);
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        assumeTrue(false, "shared/" + name + " not found; test skipped");
        return null;
    }
}
