package org.jqat.nn.checkpoint;

import java.nio.file.Path;
import java.util.Map;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;

/**
 * Run in a separate JVM by {@link CheckpointTest}: writes one large checkpoint whose every
 * value equals the generation number, so the test can kill it mid-write.
 */
public final class CheckpointWriterMain {
    private CheckpointWriterMain() {
    }

    /** A model whose state is one big tensor, so a write takes long enough to be interrupted. */
    static final class Big extends Module {
        Big(int n, float value) {
            registerParameter("weight", Tensor.full(value, n));
        }

        @Override
        public Tensor forward(Tensor x) {
            return x;
        }
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        int n = Integer.parseInt(args[1]);
        float generation = Float.parseFloat(args[2]);
        System.out.println("start");
        System.out.flush();
        Checkpoint.save(file, new Big(n, generation), null, null, (int) generation, new Rng(1), Map.of("generation", args[2]));
        System.out.println("done");
    }
}
