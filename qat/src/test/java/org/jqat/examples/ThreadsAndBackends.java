package org.jqat.examples;

import org.jqat.core.Rng;
import org.jqat.core.Tensor;
import org.jqat.core.Threads;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.backend.Device;

/** Example: set the thread count, see which host backend runs, run a block on the scalar reference backend. */
public final class ThreadsAndBackends {
    /** Returns the largest difference between the cpu and reference results of one matmul. */
    public static double run() {
        int before = Threads.count();
        // [snippet:threads-backends]
        Threads.set(2);                                   // every parallel loop of jqat, from the next op on
        System.out.println("host ops run on: " + Backends.cpu().name());
        for (Backend b : Backends.all()) {
            if (b.device() == Device.CPU) {               // asking about CUDA would load JCuda: do it only when you mean to
                String why = b.unavailableReason();
                System.out.println(b.name() + (why == null ? ": available" : ": unavailable, " + why));
            }
        }
        Tensor a = Tensor.randn(new Rng(0), 64, 32);
        Tensor b = Tensor.randn(new Rng(1), 32, 16);
        Tensor fast = a.matmul(b);
        Tensor scalar;
        try (Backends.Scope s = Backends.using("reference")) {  // this thread only, until closed
            scalar = a.matmul(b);
        }
        // [/snippet]
        Threads.set(before);
        float[] x = fast.toFloatArray();
        float[] y = scalar.toFloatArray();
        double max = 0;
        for (int i = 0; i < x.length; i++) {
            max = Math.max(max, Math.abs(x[i] - y[i]));
        }
        return max;
    }

    public static void main(String[] args) {
        run();
    }
}
