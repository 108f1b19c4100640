// Shared helpers for the jqat CUDA kernels. Every kernel is extern "C" so its PTX .entry name is
// the plain name the Java side launches (CudaBackend / Kernels.java list them).
#pragma once

#define JQAT_MAX_DIMS 8

// Shape and strides of an N-d strided view, passed by value as a kernel parameter.
// Java packs it as int[1 + 3*JQAT_MAX_DIMS]: rank, shape[8], stridesA[8], stridesB[8].
struct NdView {
    int rank;
    int shape[JQAT_MAX_DIMS];
    int sa[JQAT_MAX_DIMS];
    int sb[JQAT_MAX_DIMS];
};

#define GRID_STRIDE_LOOP(i, n) \
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (long long)(n); \
         i += (long long)blockDim.x * gridDim.x)

__device__ __forceinline__ float java_max(float u, float v) {
    // Math.max: NaN if either is NaN.
    if (u != u || v != v) return __int_as_float(0x7fc00000);
    return u >= v ? (u == v && __float_as_int(u) == 0x80000000 ? v : u) : v;
}

__device__ __forceinline__ float java_min(float u, float v) {
    if (u != u || v != v) return __int_as_float(0x7fc00000);
    return u <= v ? (u == v && __float_as_int(v) == 0x80000000 ? v : u) : v;
}

__device__ __forceinline__ double warp_sum(double v) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_sum_f(float v) {
    #pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

// Block-wide sum (blockDim.x a multiple of 32, at most 1024); the result is valid in thread 0.
// Fixed reduction tree, so the result is deterministic.
__device__ __forceinline__ double block_sum(double v, double* shared32) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) shared32[warp] = v;
    __syncthreads();
    int nw = blockDim.x >> 5;
    v = threadIdx.x < nw ? shared32[threadIdx.x] : 0.0;
    if (warp == 0) v = warp_sum(v);
    return v;
}

#define CUDART_INF_D_ __longlong_as_double(0x7ff0000000000000ULL)
#define CUDART_INF_F_ __int_as_float(0x7f800000)
