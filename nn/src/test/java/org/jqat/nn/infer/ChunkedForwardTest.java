package org.jqat.nn.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.jqat.core.Autograd;
import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.NamedBlock;
import org.jqat.nn.zoo.CifarResNet;
import org.junit.jupiter.api.Test;

class ChunkedForwardTest {

    private static List<Module> settledStages(long seed) {
        CifarResNet net = new CifarResNet(8, CifarResNet.Shortcut.A, new Rng(seed));
        net.train();
        try (var ng = Autograd.noGrad()) {
            net.forward(Tensor.randn(new Rng(seed + 1), 8, 3, 16, 16)); // non-trivial batch statistics
        }
        net.eval();
        return net.stages().stream().map(NamedBlock::module).toList();
    }

    /** Each stage's output for the whole batch at once, without a graph. */
    private static float[][] whole(List<Module> stages, Tensor x) {
        float[][] out = new float[stages.size()][];
        try (var ng = Autograd.noGrad()) {
            Tensor h = x;
            for (int i = 0; i < stages.size(); i++) {
                h = stages.get(i).forward(h);
                out[i] = h.toFloatArray();
            }
        }
        return out;
    }

    @Test
    void chunksGiveTheWholeBatchOutputsOfTheStagesKept() {
        List<Module> stages = settledStages(3);
        Tensor x = Tensor.randn(new Rng(4), 11, 3, 16, 16);
        float[][] expected = whole(stages, x);
        boolean[] keep = new boolean[stages.size()];
        keep[1] = true;
        for (int chunk : new int[] {1, 3, 4, 11, 64}) {
            Tensor[] got = ChunkedForward.run(stages, x, chunk, keep);
            for (int i = 0; i < stages.size(); i++) {
                if (i == 1 || i == stages.size() - 1) {
                    // eval mode treats every image on its own: the same values whatever the chunking
                    assertArrayEquals(expected[i], got[i].toFloatArray(), "stage " + i + ", chunk " + chunk);
                    assertFalse(got[i].isClosed());
                    assertFalse(got[i].requiresGrad());
                } else {
                    assertNull(got[i], "stage " + i + " was not asked for");
                }
            }
        }
    }

    @Test
    void recordsNoGraphEvenWhenTheInputNeedsGradients() {
        List<Module> stages = settledStages(5);
        Tensor x = Tensor.randn(new Rng(6), 5, 3, 16, 16).requiresGrad(true);
        Tensor[] got = ChunkedForward.run(stages, x, 2, new boolean[stages.size()]);
        assertFalse(got[stages.size() - 1].requiresGrad());
        assertTrue(x.requiresGrad());
    }

    @Test
    void rejectsBadArguments() {
        List<Module> stages = settledStages(7);
        Tensor x = Tensor.randn(new Rng(8), 2, 3, 16, 16);
        assertThrows(IllegalArgumentException.class, () -> ChunkedForward.run(stages, x, 0, new boolean[stages.size()]));
        assertThrows(IllegalArgumentException.class, () -> ChunkedForward.run(stages, x, 4, new boolean[1]));
    }
}
