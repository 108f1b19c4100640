// Elementwise kernels: fill, unary (+backward), clamp (+backward), affine, strided N-d copy,
// broadcasting binary ops. Op codes are the ordinals of org.jqat.core.backend.UnaryOp / BinaryOp.
#include "jqat_common.cuh"

// UnaryOp ordinals
#define U_NEG 0
#define U_ABS 1
#define U_EXP 2
#define U_LOG 3
#define U_SQRT 4
#define U_TANH 5
#define U_SIGMOID 6
#define U_RELU 7
#define U_ROUND 8
#define U_SQUARE 9
#define U_RECIPROCAL 10

// BinaryOp ordinals
#define B_ADD 0
#define B_SUB 1
#define B_MUL 2
#define B_DIV 3
#define B_MAX 4
#define B_MIN 5
#define B_POW 6
#define B_EQ 7
#define B_GT 8
#define B_GE 9
#define B_LT 10
#define B_LE 11

__device__ __forceinline__ float unary_apply(int op, float v) {
    switch (op) {
        case U_NEG: return -v;
        case U_ABS: return fabsf(v);
        case U_EXP: return (float) exp((double) v);
        case U_LOG: return (float) log((double) v);
        case U_SQRT: return sqrtf(v);
        case U_TANH: return (float) tanh((double) v);
        case U_SIGMOID: return (float) (1.0 / (1.0 + exp(-(double) v)));
        case U_RELU: return v > 0.f ? v : 0.f;
        case U_ROUND: return rintf(v);
        case U_SQUARE: return __fmul_rn(v, v);
        case U_RECIPROCAL: return __fdiv_rn(1.f, v);
    }
    return v;
}

__device__ __forceinline__ float signum(float v) {
    if (v != v) return v;
    return v > 0.f ? 1.f : (v < 0.f ? -1.f : v);
}

__device__ __forceinline__ float unary_derivative(int op, float v, float out) {
    switch (op) {
        case U_NEG: return -1.f;
        case U_ABS: return signum(v);
        case U_EXP: return out;
        case U_LOG: return __fdiv_rn(1.f, v);
        case U_SQRT: return __fdiv_rn(0.5f, out);
        case U_TANH: return __fsub_rn(1.f, __fmul_rn(out, out));
        case U_SIGMOID: return __fmul_rn(out, __fsub_rn(1.f, out));
        case U_RELU: return v > 0.f ? 1.f : 0.f;
        case U_ROUND: return 0.f;
        case U_SQUARE: return __fmul_rn(2.f, v);
        case U_RECIPROCAL: return __fmul_rn(-out, out);
    }
    return 0.f;
}

__device__ __forceinline__ float binary_apply(int op, float u, float v) {
    switch (op) {
        case B_ADD: return __fadd_rn(u, v);
        case B_SUB: return __fsub_rn(u, v);
        case B_MUL: return __fmul_rn(u, v);
        case B_DIV: return __fdiv_rn(u, v);
        case B_MAX: return java_max(u, v);
        case B_MIN: return java_min(u, v);
        case B_POW: return (float) pow((double) u, (double) v);
        case B_EQ: return u == v ? 1.f : 0.f;
        case B_GT: return u > v ? 1.f : 0.f;
        case B_GE: return u >= v ? 1.f : 0.f;
        case B_LT: return u < v ? 1.f : 0.f;
        case B_LE: return u <= v ? 1.f : 0.f;
    }
    return 0.f;
}

extern "C" __global__ void jq_fill(float* __restrict__ dst, int offset, int count, float value) {
    GRID_STRIDE_LOOP(i, count) dst[offset + i] = value;
}

extern "C" __global__ void jq_unary(int op, const float* x, float* y, int n) {
    GRID_STRIDE_LOOP(i, n) y[i] = unary_apply(op, x[i]);
}

extern "C" __global__ void jq_unary_backward(int op, const float* x, const float* y, const float* gy,
                                             float* gx, int n) {
    GRID_STRIDE_LOOP(i, n) {
        float out = y == nullptr ? 0.f : y[i];
        gx[i] = __fmul_rn(gy[i], unary_derivative(op, x[i], out));
    }
}

extern "C" __global__ void jq_clamp(const float* x, float* y, int n, float lo, float hi) {
    GRID_STRIDE_LOOP(i, n) y[i] = java_min(java_max(x[i], lo), hi);
}

extern "C" __global__ void jq_clamp_backward(const float* x, const float* gy, float* gx, int n, float lo, float hi) {
    GRID_STRIDE_LOOP(i, n) {
        float v = x[i];
        gx[i] = (v >= lo && v <= hi) ? gy[i] : 0.f;
    }
}

extern "C" __global__ void jq_affine(const float* x, float* y, int n, float scale, float shift) {
    GRID_STRIDE_LOOP(i, n) y[i] = __fadd_rn(__fmul_rn(x[i], scale), shift);
}

// Offsets of flat row-major index i of v.shape in both operands.
__device__ __forceinline__ void nd_offsets(const NdView& v, long long i, long long& oa, long long& ob) {
    oa = 0;
    ob = 0;
    for (int d = v.rank - 1; d >= 0; d--) {
        int s = v.shape[d];
        long long q = i / s;
        int r = (int) (i - q * s);
        oa += (long long) r * v.sa[d];
        ob += (long long) r * v.sb[d];
        i = q;
    }
}

// dst[dstOffset + Σ i_d·sb[d]] = src[srcOffset + Σ i_d·sa[d]]
extern "C" __global__ void jq_copy_nd(NdView v, const float* src, int srcOffset, float* dst, int dstOffset, int total) {
    GRID_STRIDE_LOOP(i, total) {
        long long oa, ob;
        nd_offsets(v, i, oa, ob);
        dst[dstOffset + ob] = src[srcOffset + oa];
    }
}

// out[i] = op(a[aOffset + Σ i_d·sa[d]], b[bOffset + Σ i_d·sb[d]]) with contiguous out.
extern "C" __global__ void jq_binary_nd(int op, NdView v, const float* a, int aOffset, const float* b, int bOffset,
                                        float* out, int total) {
    GRID_STRIDE_LOOP(i, total) {
        long long oa, ob;
        nd_offsets(v, i, oa, ob);
        out[i] = binary_apply(op, a[aOffset + oa], b[bOffset + ob]);
    }
}

// Fast path: both operands contiguous with the output (same shape, no broadcast).
extern "C" __global__ void jq_binary_flat(int op, const float* a, int aOffset, const float* b, int bOffset,
                                          float* out, int total) {
    GRID_STRIDE_LOOP(i, total) out[i] = binary_apply(op, a[aOffset + i], b[bOffset + i]);
}
