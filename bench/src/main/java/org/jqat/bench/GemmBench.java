package org.jqat.bench;

import java.util.concurrent.TimeUnit;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.HeapStorage;
import org.jqat.core.backend.Storage;
import org.openjdk.jmh.annotations.*;

/** SGEMM on square sizes and on the im2col GEMM shapes of ResNet-20 (per image, m×n×k). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx8g"})
public class GemmBench {
    /** "m,n,k": squares, then conv-forward im2col shapes of the three ResNet-20 stages. */
    @Param({"256,256,256", "512,512,512", "1024,1024,1024", "2048,2048,2048",
            "16,1024,144", "32,256,288", "64,64,576"})
    public String mnk;
    private int m, n, k;
    private Storage a, b, c;
    private Backend cpu;

    @Setup
    public void setup() {
        String[] p = mnk.split(",");
        m = Integer.parseInt(p[0]);
        n = Integer.parseInt(p[1]);
        k = Integer.parseInt(p[2]);
        java.util.Random r = new java.util.Random(1);
        a = new HeapStorage(random(r, m * k));
        b = new HeapStorage(random(r, k * n));
        c = new HeapStorage(m * n);
        cpu = Backends.get("cpu");
    }

    static float[] random(java.util.Random r, int size) {
        float[] f = new float[size];
        for (int i = 0; i < size; i++) {
            f[i] = r.nextFloat() - 0.5f;
        }
        return f;
    }

    @Benchmark
    public Storage sgemm() {
        cpu.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n);
        return c;
    }
}
