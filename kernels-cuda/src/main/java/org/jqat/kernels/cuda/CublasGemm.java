package org.jqat.kernels.cuda;

import jcuda.Pointer;
import jcuda.jcublas.JCublas2;
import jcuda.jcublas.cublasHandle;
import jcuda.jcublas.cublasOperation;
import jcuda.runtime.cudaStream_t;

/**
 * SGEMM through cuBLAS 12 (JCublas2), bound to the runtime's stream. Created only by
 * {@link #tryOpen}, which catches everything (libcublas.so.12 missing is the usual case) and
 * reports why; the backend then uses its own tiled kernel.
 */
final class CublasGemm {
    private final cublasHandle handle;
    final int version;

    private CublasGemm(cublasHandle handle, int version) {
        this.handle = handle;
        this.version = version;
    }

    /** Holds either a working cuBLAS or why it is not used. */
    record Probe(CublasGemm gemm, String reason) {
    }

    static Probe tryOpen(DriverRuntime rt) {
        if ("false".equalsIgnoreCase(System.getProperty("jqat.cuda.cublas", ""))) {
            return new Probe(null, "disabled by -Djqat.cuda.cublas=false");
        }
        try {
            rt.enter();
            JCublas2.setExceptionsEnabled(true);
            cublasHandle h = new cublasHandle();
            JCublas2.cublasCreate(h);
            JCublas2.cublasSetStream(h, new cudaStream_t(rt.stream));
            int[] v = new int[1];
            JCublas2.cublasGetVersion(h, v);
            return new Probe(new CublasGemm(h, v[0]), null);
        } catch (Throwable t) {
            String msg = String.valueOf(t.getMessage());
            if (t instanceof UnsatisfiedLinkError || msg.contains("libcublas")) {
                return new Probe(null, "cuBLAS 12 not found");
            }
            return new Probe(null, "cuBLAS unusable: " + t.getClass().getSimpleName() + ": " + msg.lines().findFirst().orElse(""));
        }
    }

    /** Whether cuBLAS accepts these row-major leading dimensions (else the own kernel runs). */
    static boolean accepts(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
        return lda >= Math.max(1, transA ? m : k) && ldb >= Math.max(1, transB ? k : n) && ldc >= Math.max(1, n);
    }

    /**
     * Row-major {@code C = alpha·op(A)·op(B) + beta·C} as the column-major product
     * {@code Cᵀ = op(B)ᵀ·op(A)ᵀ}: cuBLAS gets B first, with the transposes as given.
     */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
               CudaStorage a, int aOffset, int lda, CudaStorage b, int bOffset, int ldb,
               float beta, CudaStorage c, int cOffset, int ldc) {
        JCublas2.cublasSgemm(handle,
                transB ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                transA ? cublasOperation.CUBLAS_OP_T : cublasOperation.CUBLAS_OP_N,
                n, m, k, Pointer.to(new float[] {alpha}),
                b.ptr().withByteOffset((long) bOffset * Float.BYTES), ldb,
                a.ptr().withByteOffset((long) aOffset * Float.BYTES), lda,
                Pointer.to(new float[] {beta}),
                c.ptr().withByteOffset((long) cOffset * Float.BYTES), ldc);
    }

    static String versionString(int v) {
        // CUBLAS_VERSION = major·10000 + minor·100 + patch (cuBLAS 12).
        return (v / 10000) + "." + (v / 100 % 100) + "." + (v % 100);
    }
}
