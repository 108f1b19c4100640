package org.jqat.bench;

import java.util.concurrent.TimeUnit;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Conv2dShape;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.openjdk.jmh.annotations.*;

/** Each distinct ResNet-20 conv layer at batch 128: forward, backward-data and backward-weight. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class ConvBench {
    /** "cIn,hw,cOut,k,stride". */
    @Param({"3,32,16,3,1", "16,32,16,3,1", "16,32,32,3,2", "32,16,32,3,1", "16,32,32,1,2",
            "32,16,64,3,2", "64,8,64,3,1", "32,16,64,1,2"})
    public String layer;
    private Conv2dShape s;
    private Storage x, w, y, gy, gx, gw;
    private Backend cpu;

    @Setup
    public void setup() {
        String[] p = layer.split(",");
        int cin = Integer.parseInt(p[0]), hw = Integer.parseInt(p[1]), cout = Integer.parseInt(p[2]);
        int k = Integer.parseInt(p[3]), stride = Integer.parseInt(p[4]);
        s = new Conv2dShape(128, cin, hw, hw, cout, k, k, stride, stride, k / 2, k / 2, 1, 1, 1);
        java.util.Random r = new java.util.Random(2);
        x = new HeapStorage(GemmBench.random(r, 128 * cin * hw * hw));
        w = new HeapStorage(GemmBench.random(r, s.weightSize()));
        int outSize = 128 * cout * s.outH() * s.outW();
        y = new HeapStorage(outSize);
        gy = new HeapStorage(GemmBench.random(r, outSize));
        gx = new HeapStorage(128 * cin * hw * hw);
        gw = new HeapStorage(s.weightSize());
        cpu = Backends.get("cpu");
    }

    @Benchmark
    public Storage forward() {
        cpu.conv2d(s, x, w, null, y);
        return y;
    }

    @Benchmark
    public Storage backward() {
        cpu.conv2dBackwardData(s, gy, w, gx);
        cpu.conv2dBackwardWeight(s, x, gy, gw);
        return gw;
    }
}
