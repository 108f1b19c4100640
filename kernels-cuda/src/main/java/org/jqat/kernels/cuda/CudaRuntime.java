package org.jqat.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jcuda.driver.CUdeviceptr;

/**
 * What the CUDA backend needs from a device: memory, one in-order queue of kernels and copies,
 * and transfers to and from the host. {@link DriverRuntime} is the real one (JCuda's driver
 * API); {@link DryRunRuntime} keeps "device" memory on the heap and checks kernel launches
 * without running them, so the backend's plumbing (launch signatures, memory ownership, host
 * round trips) is tested on machines without a GPU.
 *
 * <p>Every launch is checked against the kernel's {@code .param} list in the PTX
 * ({@link PtxSignature}): a Java call site whose arguments do not match in number, order or
 * width fails with a message naming the kernel and the parameter, before anything is queued.
 * Downloads and synchronisations are counted ({@link #hostSyncs()}): each is a point where the
 * host waits for the device.
 */
abstract class CudaRuntime {
    static final int BLOCK = 256;
    private static final int MAX_GRID = 1 << 20;
    static final String PTX_DIR = "/org/jqat/kernels/cuda/ptx/";

    final CudaAllocator allocator = new CudaAllocator(this);
    private final Map<String, Map<String, PtxSignature>> signatures = new ConcurrentHashMap<>();
    private final AtomicLong hostSyncs = new AtomicLong();
    private final AtomicLong launches = new AtomicLong();
    /** cuBLAS for this runtime, probed on first use. */
    private volatile CublasGemm.Probe cublas;

    // ---- description ------------------------------------------------------------------------

    abstract String deviceName();

    abstract int computeCapability();

    abstract int smCount();

    abstract long totalMemory();

    abstract int driverVersion();

    /** cuBLAS when this runtime can use it (probed once), else why not. */
    final CublasGemm.Probe cublas() {
        CublasGemm.Probe p = cublas;
        if (p == null) {
            synchronized (this) {
                if (cublas == null) {
                    cublas = openCublas();
                }
                p = cublas;
            }
        }
        return p;
    }

    abstract CublasGemm.Probe openCublas();

    /** Makes the device current on this thread (once per thread). */
    abstract void enter();

    // ---- memory -----------------------------------------------------------------------------

    /** A new device block of {@code bytes}, or null when the device is out of memory. */
    abstract CUdeviceptr memAlloc(long bytes);

    abstract void memFree(CUdeviceptr p);

    // ---- kernels ----------------------------------------------------------------------------

    /** The PTX text of a module as a NUL-terminated byte array. */
    static byte[] ptx(String module) {
        String path = PTX_DIR + module + ".ptx";
        try (InputStream in = CudaRuntime.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("PTX resource " + path + " is missing from the class path");
            }
            byte[] text = in.readAllBytes();
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path, e);
        }
    }

    /** The parameter list of kernel {@code name} in PTX module {@code module}. */
    final PtxSignature signature(String module, String name) {
        Map<String, PtxSignature> m = signatures.computeIfAbsent(module, k -> PtxSignature.parseAll(ptx(k)));
        PtxSignature s = m.get(name);
        if (s == null) {
            throw new IllegalStateException("ptx/" + module + ".ptx has no kernel " + name + "; it declares " + m.keySet());
        }
        return s;
    }

    /** Blocks for a 1-D grid-stride kernel over {@code total} items. */
    static int gridFor(long total) {
        return (int) Math.max(1, Math.min((total + BLOCK - 1) / BLOCK, MAX_GRID));
    }

    /**
     * Queues a kernel. Arguments: {@link CudaStorage} / {@link CudaBitMask} (device pointer;
     * element offsets travel as separate int arguments), null (null pointer), Integer, Float,
     * Double, Long, or int[] (a struct of ints passed by value); checked against the PTX.
     */
    final void launch(String module, String name, int gridX, int gridY, int block, Object... args) {
        signature(module, name).check(args);
        enter();
        launches.incrementAndGet();
        queueKernel(module, name, gridX, gridY, block, args);
    }

    final void launch1d(String module, String name, long total, Object... args) {
        if (total <= 0) {
            return;
        }
        launch(module, name, gridFor(total), 1, BLOCK, args);
    }

    /** Queues a kernel whose arguments were checked. */
    abstract void queueKernel(String module, String name, int gridX, int gridY, int block, Object[] args);

    // ---- transfers --------------------------------------------------------------------------

    /** Copies host floats to device memory (queued; the source array may be reused at once). */
    abstract void upload(float[] src, int srcOffset, CUdeviceptr dst, long dstElement, int count);

    /** Copies host ints (indices) to device memory. */
    abstract void upload(int[] src, CUdeviceptr dst, int count);

    /** Copies device floats to the host after every queued kernel finished: a host round trip. */
    final void download(CUdeviceptr src, long srcElement, float[] dst, int dstOffset, int count) {
        hostSyncs.incrementAndGet();
        readFloats(src, srcElement, dst, dstOffset, count);
    }

    /** Reads ints (mask words) from the device, bit patterns preserved: a host round trip. */
    final int[] downloadInts(CUdeviceptr src, long srcElement, int count) {
        hostSyncs.incrementAndGet();
        return readInts(src, srcElement, count);
    }

    abstract void readFloats(CUdeviceptr src, long srcElement, float[] dst, int dstOffset, int count);

    abstract int[] readInts(CUdeviceptr src, long srcElement, int count);

    abstract void copyDeviceToDevice(CUdeviceptr src, long srcElement, CUdeviceptr dst, long dstElement, long count);

    abstract void memsetZero(CUdeviceptr dst, long elementOffset, long count);

    /** Waits until every queued kernel and copy finished: a host round trip. */
    final void synchronize() {
        hostSyncs.incrementAndGet();
        drain();
    }

    abstract void drain();

    // ---- counters ---------------------------------------------------------------------------

    /** Downloads and synchronisations so far (each makes the host wait for the device). */
    final long hostSyncs() {
        return hostSyncs.get();
    }

    /** Kernels launched so far. */
    final long launches() {
        return launches.get();
    }
}
