package org.jqat.bench;

import java.util.concurrent.TimeUnit;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.BitMask;
import org.jqat.core.backend.FakeQuantShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.openjdk.jmh.annotations.*;

/** Per-tensor 4-bit fake-quantize forward + backward (gx, grad_s) on 1M and 16M elements. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class FakeQuantBench {
    @Param({"1048576", "16777216"})
    public int size;
    private FakeQuantShape s;
    private Storage x, y, gy, gx, scale, gScale;
    private BitMask mask;
    private Backend cpu;

    @Setup
    public void setup() {
        java.util.Random r = new java.util.Random(3);
        s = FakeQuantShape.perTensor(size, -8, 7, 1f, true);
        x = new HeapStorage(GemmBench.random(r, size));
        gy = new HeapStorage(GemmBench.random(r, size));
        y = new HeapStorage(size);
        gx = new HeapStorage(size);
        scale = new HeapStorage(new float[] {0.05f});
        gScale = new HeapStorage(1);
        cpu = Backends.get("cpu");
        mask = cpu.allocateMask(size);
    }

    @Benchmark
    public Storage forwardBackward() {
        cpu.fakeQuantize(s, x, scale, null, y, mask);
        cpu.fakeQuantizeBackward(s, x, gy, scale, null, mask, gx, gScale, null);
        return gScale;
    }

    @Benchmark
    public Storage copyBaseline() {
        cpu.copy(new int[] {size}, x, 0, new int[] {1}, y, 0, new int[] {1});
        return y;
    }
}
