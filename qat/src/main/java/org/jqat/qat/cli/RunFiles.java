package org.jqat.qat.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jqat.core.io.Json;
import org.jqat.qat.train.RunDirectory;

/** Small files a run leaves beside its checkpoints. */
final class RunFiles {
    private RunFiles() {
    }

    /** Creates the folder a file will be written to. */
    static void createParent(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the folder of " + file + ": " + e, e);
        }
    }

    static void writeJson(Path file, Map<String, Object> content) {
        RunDirectory.writeAtomically(file, Json.write(content) + "\n");
    }
}
