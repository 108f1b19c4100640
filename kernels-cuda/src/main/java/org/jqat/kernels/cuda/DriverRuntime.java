package org.jqat.kernels.cuda;

import static jcuda.driver.JCudaDriver.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * The CUDA state of one process: the device's primary context (shared with cuBLAS, which uses the
 * runtime API), one stream on which every kernel and copy is queued in order, the PTX modules
 * loaded lazily from the class path, pinned staging buffers for host transfers, and the caching
 * allocator. Every entry point first makes the context current on the calling thread.
 */
final class DriverRuntime extends CudaRuntime {
    /** Thrown by {@link #open()} when the driver works but there is no device. */
    static final class NoDeviceException extends Exception {
        NoDeviceException(String message) {
            super(message);
        }
    }

    /** Floats per pinned staging buffer. */
    private static final int STAGING_FLOATS = 2 << 20;
    /**
     * Staging buffers used in turn. An upload waits only for the copy made from the same buffer
     * this many uploads earlier; a step makes a handful of small uploads (batch, labels, the
     * backward seed, quantizer scalars), so with 8 that copy is long done and uploads never make
     * the host wait for kernels queued in the same step.
     */
    private static final int STAGING_COUNT = 8;

    final CUdevice device;
    final CUcontext context;
    final CUstream stream;
    final String deviceName;
    final int ccMajor;
    final int ccMinor;
    final int smCount;
    final long totalMemory;
    final int driverVersion;

    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final Map<String, CUmodule> modules = new HashMap<>();
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final Pointer[] staging = new Pointer[STAGING_COUNT];
    private final ByteBuffer[] stagingBuf = new ByteBuffer[STAGING_COUNT];
    private final CUevent[] stagingDone = new CUevent[STAGING_COUNT];
    private int stagingNext;

    private DriverRuntime(CUdevice device, CUcontext context, CUstream stream) {
        this.device = device;
        this.context = context;
        this.stream = stream;
        byte[] name = new byte[256];
        cuDeviceGetName(name, name.length, device);
        int len = 0;
        while (len < name.length && name[len] != 0) {
            len++;
        }
        this.deviceName = new String(name, 0, len, StandardCharsets.UTF_8);
        this.ccMajor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
        this.ccMinor = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        this.smCount = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        long[] mem = new long[1];
        cuDeviceTotalMem(mem, device);
        this.totalMemory = mem[0];
        int[] v = new int[1];
        cuDriverGetVersion(v);
        this.driverVersion = v[0];
        for (int i = 0; i < STAGING_COUNT; i++) {
            staging[i] = new Pointer();
            cuMemAllocHost(staging[i], (long) STAGING_FLOATS * Float.BYTES);
            stagingBuf[i] = staging[i].getByteBuffer(0, (long) STAGING_FLOATS * Float.BYTES).order(ByteOrder.nativeOrder());
            stagingDone[i] = new CUevent();
            cuEventCreate(stagingDone[i], 0);
            cuEventRecord(stagingDone[i], stream);
        }
    }

    /** Initialises the driver and device 0; throws (anything) when CUDA cannot be used. */
    static DriverRuntime open() throws NoDeviceException {
        JCudaDriver.setExceptionsEnabled(false);
        int rc = cuInit(0);
        if (rc == CUresult.CUDA_ERROR_NO_DEVICE) {
            throw new NoDeviceException("no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE)");
        }
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException("cuInit failed: " + CUresult.stringFor(rc));
        }
        int[] count = new int[1];
        rc = cuDeviceGetCount(count);
        if (rc != CUresult.CUDA_SUCCESS || count[0] == 0) {
            throw new NoDeviceException("no CUDA device" + (rc != CUresult.CUDA_SUCCESS ? " (" + CUresult.stringFor(rc) + ")" : ""));
        }
        JCudaDriver.setExceptionsEnabled(true);
        int ordinal = Integer.getInteger("jqat.cuda.device", 0);
        CUdevice dev = new CUdevice();
        cuDeviceGet(dev, ordinal);
        CUcontext ctx = new CUcontext();
        cuDevicePrimaryCtxRetain(ctx, dev);
        cuCtxSetCurrent(ctx);
        CUstream stream = new CUstream();
        // A blocking stream: it also orders against the legacy default stream that cuBLAS setup uses.
        cuStreamCreate(stream, 0);
        DriverRuntime rt = new DriverRuntime(dev, ctx, stream);
        rt.current.set(true);
        return rt;
    }

    @Override
    String deviceName() {
        return deviceName;
    }

    @Override
    int computeCapability() {
        return ccMajor * 10 + ccMinor;
    }

    @Override
    int smCount() {
        return smCount;
    }

    @Override
    long totalMemory() {
        return totalMemory;
    }

    @Override
    int driverVersion() {
        return driverVersion;
    }

    @Override
    CublasGemm.Probe openCublas() {
        return CublasGemm.tryOpen(this);
    }

    @Override
    CUdeviceptr memAlloc(long bytes) {
        enter();
        CUdeviceptr p = new CUdeviceptr();
        try {
            cuMemAlloc(p, bytes);
            return p;
        } catch (CudaException e) {
            if (isOutOfMemory(e)) {
                return null;
            }
            throw e;
        }
    }

    @Override
    void memFree(CUdeviceptr p) {
        enter();
        cuMemFree(p);
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        cuDeviceGetAttribute(v, attr, device);
        return v[0];
    }

    /** Makes the context current on this thread (once per thread). */
    @Override
    void enter() {
        if (!current.get()) {
            cuCtxSetCurrent(context);
            current.set(true);
        }
    }

    // ---- modules and launches ---------------------------------------------------------------

    /** The kernel {@code name} of PTX module {@code module}, loaded on first use. */
    synchronized CUfunction function(String module, String name) {
        String key = module + "/" + name;
        CUfunction f = functions.get(key);
        if (f == null) {
            CUmodule m = modules.get(module);
            if (m == null) {
                m = new CUmodule();
                cuModuleLoadData(m, ptx(module));
                modules.put(module, m);
            }
            f = new CUfunction();
            cuModuleGetFunction(f, m, name);
            functions.put(key, f);
        }
        return f;
    }

    @Override
    void queueKernel(String module, String name, int gridX, int gridY, int block, Object[] args) {
        Pointer[] ps = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            ps[i] = param(args[i]);
        }
        cuLaunchKernel(function(module, name), gridX, gridY, 1, block, 1, 1, 0, stream, Pointer.to(ps), null);
    }

    private static Pointer param(Object a) {
        if (a == null) {
            return Pointer.to(new CUdeviceptr());
        }
        if (a instanceof CudaStorage s) {
            return Pointer.to(s.ptr());
        }
        if (a instanceof CudaBitMask m) {
            return Pointer.to(m.ptr());
        }
        if (a instanceof CUdeviceptr p) {
            return Pointer.to(p);
        }
        if (a instanceof Integer v) {
            return Pointer.to(new int[] {v});
        }
        if (a instanceof Float v) {
            return Pointer.to(new float[] {v});
        }
        if (a instanceof Double v) {
            return Pointer.to(new double[] {v});
        }
        if (a instanceof Long v) {
            return Pointer.to(new long[] {v});
        }
        if (a instanceof int[] v) {
            return Pointer.to(v);
        }
        throw new IllegalArgumentException("unsupported kernel argument " + a.getClass());
    }

    // ---- transfers --------------------------------------------------------------------------

    /** Copies host floats to device memory through the pinned staging buffers (async, buffers used in turn). */
    @Override
    synchronized void upload(float[] src, int srcOffset, CUdeviceptr dst, long dstElement, int count) {
        enter();
        int done = 0;
        while (done < count) {
            int n = Math.min(STAGING_FLOATS, count - done);
            int b = nextStaging();
            stagingBuf[b].clear();
            stagingBuf[b].asFloatBuffer().put(src, srcOffset + done, n);
            cuMemcpyHtoDAsync(dst.withByteOffset((dstElement + done) * Float.BYTES), staging[b], (long) n * Float.BYTES, stream);
            cuEventRecord(stagingDone[b], stream);
            done += n;
        }
    }

    /** Copies host ints (indices) to device memory. */
    @Override
    synchronized void upload(int[] src, CUdeviceptr dst, int count) {
        enter();
        int done = 0;
        while (done < count) {
            int n = Math.min(STAGING_FLOATS, count - done);
            int b = nextStaging();
            stagingBuf[b].clear();
            stagingBuf[b].asIntBuffer().put(src, done, n);
            cuMemcpyHtoDAsync(dst.withByteOffset((long) done * Integer.BYTES), staging[b], (long) n * Integer.BYTES, stream);
            cuEventRecord(stagingDone[b], stream);
            done += n;
        }
    }

    /** Waits for the staging buffer's previous copy, then hands it out. */
    private int nextStaging() {
        int b = stagingNext;
        stagingNext = (stagingNext + 1) % STAGING_COUNT;
        cuEventSynchronize(stagingDone[b]);
        return b;
    }

    /** Copies device floats to the host; waits for every queued kernel first (stream order). */
    @Override
    synchronized void readFloats(CUdeviceptr src, long srcElement, float[] dst, int dstOffset, int count) {
        enter();
        int done = 0;
        while (done < count) {
            int n = Math.min(STAGING_FLOATS, count - done);
            int b = nextStaging();
            cuMemcpyDtoHAsync(staging[b], src.withByteOffset((srcElement + done) * Float.BYTES), (long) n * Float.BYTES, stream);
            cuEventRecord(stagingDone[b], stream);
            cuEventSynchronize(stagingDone[b]);
            stagingBuf[b].clear();
            stagingBuf[b].asFloatBuffer().get(dst, dstOffset + done, n);
            done += n;
        }
    }

    /** Reads ints (mask words) from the device, bit patterns preserved. */
    @Override
    synchronized int[] readInts(CUdeviceptr src, long srcElement, int count) {
        enter();
        int[] out = new int[count];
        int done = 0;
        while (done < count) {
            int n = Math.min(STAGING_FLOATS, count - done);
            int b = nextStaging();
            cuMemcpyDtoHAsync(staging[b], src.withByteOffset((srcElement + done) * Integer.BYTES), (long) n * Integer.BYTES, stream);
            cuEventRecord(stagingDone[b], stream);
            cuEventSynchronize(stagingDone[b]);
            stagingBuf[b].clear();
            stagingBuf[b].asIntBuffer().get(out, done, n);
            done += n;
        }
        return out;
    }

    @Override
    void copyDeviceToDevice(CUdeviceptr src, long srcElement, CUdeviceptr dst, long dstElement, long count) {
        enter();
        if (count > 0) {
            cuMemcpyDtoDAsync(dst.withByteOffset(dstElement * Float.BYTES), src.withByteOffset(srcElement * Float.BYTES),
                    count * Float.BYTES, stream);
        }
    }

    @Override
    void memsetZero(CUdeviceptr dst, long elementOffset, long count) {
        enter();
        if (count > 0) {
            cuMemsetD32Async(dst.withByteOffset(elementOffset * Float.BYTES), 0, count, stream);
        }
    }

    @Override
    void drain() {
        enter();
        cuStreamSynchronize(stream);
    }

    static boolean isOutOfMemory(Throwable t) {
        return t instanceof CudaException && String.valueOf(t.getMessage()).contains("CUDA_ERROR_OUT_OF_MEMORY");
    }
}
