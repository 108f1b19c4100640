package org.jqat.kernels.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import jcuda.driver.CUdeviceptr;

/**
 * A stand-in device for machines without a GPU: "device" memory is heap buffers, copies and
 * memsets really happen, and every kernel launch is checked against its PTX signature and
 * counted, but not run (kernel outputs keep whatever the memory held). It exercises everything
 * around the kernels (launch arguments, the allocator, memory ownership, host round trips) and
 * nothing of their arithmetic. Installed for a scope by {@link CudaDryRun#install}.
 */
final class DryRunRuntime extends CudaRuntime {
    private final long capacity;
    private final Map<CUdeviceptr, ByteBuffer> memory = new IdentityHashMap<>();
    private final Map<String, Long> launched = new TreeMap<>();
    private long used;

    DryRunRuntime(long capacityBytes) {
        this.capacity = capacityBytes;
    }

    @Override
    String deviceName() {
        return "dry run (host memory, kernels checked but not run)";
    }

    @Override
    int computeCapability() {
        return 80;
    }

    @Override
    int smCount() {
        return 0;
    }

    @Override
    long totalMemory() {
        return capacity;
    }

    @Override
    int driverVersion() {
        return 0;
    }

    @Override
    CublasGemm.Probe openCublas() {
        return new CublasGemm.Probe(null, "dry run: no cuBLAS");
    }

    @Override
    void enter() {
    }

    @Override
    synchronized CUdeviceptr memAlloc(long bytes) {
        if (used + bytes > capacity) {
            return null;
        }
        CUdeviceptr p = new CUdeviceptr();
        memory.put(p, ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN));
        used += bytes;
        return p;
    }

    @Override
    synchronized void memFree(CUdeviceptr p) {
        ByteBuffer b = memory.remove(p);
        if (b == null) {
            throw new IllegalStateException("dry run: cuMemFree of a pointer that is not allocated (double free)");
        }
        used -= b.capacity();
    }

    private synchronized ByteBuffer block(CUdeviceptr p) {
        ByteBuffer b = memory.get(p);
        if (b == null) {
            throw new IllegalStateException("dry run: access to device memory that was freed or never allocated");
        }
        return b;
    }

    @Override
    synchronized void queueKernel(String module, String name, int gridX, int gridY, int block, Object[] args) {
        for (Object a : args) {
            if (a instanceof CudaStorage s) {
                block(s.ptr()); // a pointer to freed memory would be a use after free on a GPU
            }
        }
        launched.merge(name, 1L, Long::sum);
    }

    /** Launches per kernel name so far. */
    synchronized Map<String, Long> launched() {
        return new TreeMap<>(launched);
    }

    @Override
    void upload(float[] src, int srcOffset, CUdeviceptr dst, long dstElement, int count) {
        ByteBuffer b = block(dst);
        for (int i = 0; i < count; i++) {
            b.putFloat(Math.toIntExact((dstElement + i) * Float.BYTES), src[srcOffset + i]);
        }
    }

    @Override
    void upload(int[] src, CUdeviceptr dst, int count) {
        ByteBuffer b = block(dst);
        for (int i = 0; i < count; i++) {
            b.putInt(i * Integer.BYTES, src[i]);
        }
    }

    @Override
    void readFloats(CUdeviceptr src, long srcElement, float[] dst, int dstOffset, int count) {
        ByteBuffer b = block(src);
        for (int i = 0; i < count; i++) {
            dst[dstOffset + i] = b.getFloat(Math.toIntExact((srcElement + i) * Float.BYTES));
        }
    }

    @Override
    int[] readInts(CUdeviceptr src, long srcElement, int count) {
        ByteBuffer b = block(src);
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = b.getInt(Math.toIntExact((srcElement + i) * Integer.BYTES));
        }
        return out;
    }

    @Override
    void copyDeviceToDevice(CUdeviceptr src, long srcElement, CUdeviceptr dst, long dstElement, long count) {
        ByteBuffer s = block(src);
        ByteBuffer d = block(dst);
        for (long i = 0; i < count; i++) {
            d.putFloat(Math.toIntExact((dstElement + i) * Float.BYTES), s.getFloat(Math.toIntExact((srcElement + i) * Float.BYTES)));
        }
    }

    @Override
    void memsetZero(CUdeviceptr dst, long elementOffset, long count) {
        ByteBuffer d = block(dst);
        for (long i = 0; i < count; i++) {
            d.putInt(Math.toIntExact((elementOffset + i) * Float.BYTES), 0);
        }
    }

    @Override
    void drain() {
    }
}
