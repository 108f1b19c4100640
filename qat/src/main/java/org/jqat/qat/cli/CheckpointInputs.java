package org.jqat.qat.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jqat.nn.Module;
import org.jqat.nn.StateDictException;
import org.jqat.nn.checkpoint.Checkpoint;

/** Checkpoints given on the command line: loaded with one-line errors naming the option and file. */
final class CheckpointInputs {
    private CheckpointInputs() {
    }

    /** Loads the model weights of {@code file} (given as {@code option}) strictly into {@code model}. */
    static void loadModel(Module model, Path file, String option, String modelName) {
        try {
            model.loadStateDict(Checkpoint.read(file).model(), true);
        } catch (StateDictException e) {
            throw new IllegalArgumentException(option + " " + file + " does not hold a " + modelName + " for this data set: "
                    + e.getMessage());
        }
    }

    /** Refuses an output that is (or would replace) one of the command's own inputs. */
    static void refuseOverwrite(Path output, String outputOption, Path input, String inputOption) {
        Path out = output.toAbsolutePath().normalize();
        Path in = input.toAbsolutePath().normalize();
        boolean same = out.equals(in);
        if (!same && Files.exists(out) && Files.exists(in)) {
            try {
                same = Files.isSameFile(out, in);
            } catch (IOException ignored) {
                // unreadable paths are reported when they are opened
            }
        }
        if (same) {
            throw new IllegalArgumentException(outputOption + " " + output + " is the " + inputOption
                    + " file; writing it would destroy the input: choose another " + outputOption);
        }
    }

    /** Refuses a run directory that holds the input checkpoint (the run's commits would replace it). */
    static void refuseRunDirectoryHolding(Path runDir, String dirOption, Path input, String inputOption) {
        Path dir = runDir.toAbsolutePath().normalize();
        Path parent = input.toAbsolutePath().normalize().getParent();
        if (dir.equals(parent)) {
            throw new IllegalArgumentException(inputOption + " " + input + " lies in the output directory " + runDir
                    + ", whose checkpoints this run rewrites: copy it elsewhere or choose another " + dirOption);
        }
    }
}
