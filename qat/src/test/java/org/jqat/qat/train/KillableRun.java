package org.jqat.qat.train;

import java.nio.file.Path;
import org.jqat.datasets.DataLoader;

/**
 * The child JVM of {@link RunKillTest}: trains {@link TrainerTest}'s small network on its stripes
 * data into a run directory. Started with {@code -Djqat.test.pauseAt=POINT@EPOCH}, it parks at
 * that commit point and the test sends it SIGKILL.
 */
public final class KillableRun {
    private KillableRun() {
    }

    public static void main(String[] args) {
        Path out = Path.of(args[0]);
        int epochs = Integer.parseInt(args[1]);
        RunKillTest.train(out, epochs);
    }

    /** The settings {@link #run} stores, to open its directory the same way. */
    static java.util.Map<String, Object> settings(Path out, int epochs) {
        try (DataLoader tr = TrainerTest.loader(true, 1); DataLoader te = TrainerTest.loader(false, 1)) {
            return new Trainer(new Supervised(TrainerTest.smallNet(5), 0.1f), tr, te, TrainerTest.config(out, epochs)).settings();
        }
    }

    /** The run every process of the test performs (same settings, so resumes are accepted). */
    static Trainer.Result run(Path out, int epochs) {
        try (DataLoader tr = TrainerTest.loader(true, 1); DataLoader te = TrainerTest.loader(false, 1)) {
            return new Trainer(new Supervised(TrainerTest.smallNet(5), 0.1f), tr, te, TrainerTest.config(out, epochs)).fit();
        }
    }
}
