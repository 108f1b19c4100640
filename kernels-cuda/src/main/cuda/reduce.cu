// Reductions over [outer, n, inner], argmax, per-channel sums, softmax / log-softmax and their
// backward, row picks and gathers. Sums accumulate in double in a fixed order (deterministic).
#include "jqat_common.cuh"

#define R_SUM 0
#define R_MAX 1
#define R_MIN 2

__device__ __forceinline__ double reduce_init(int op) {
    return op == R_SUM ? 0.0 : (op == R_MAX ? -CUDART_INF_D_ : CUDART_INF_D_);
}

__device__ __forceinline__ double reduce_combine(int op, double acc, double v) {
    switch (op) {
        case R_SUM: return acc + v;
        case R_MAX: return (v > acc || v != v) ? v : acc;   // NaN propagates, as PyTorch
        default: return (v < acc || v != v) ? v : acc;
    }
}

// inner > 1: one thread per (o, i), sequential over n (coalesced across i).
extern "C" __global__ void jq_reduce_strided(int op, const float* x, int outer, int n, int inner, float* out) {
    long long total = (long long) outer * inner;
    GRID_STRIDE_LOOP(t, total) {
        long long o = t / inner, i = t - o * inner;
        const float* p = x + o * (long long) n * inner + i;
        double acc = reduce_init(op);
        for (int j = 0; j < n; j++) acc = reduce_combine(op, acc, (double) p[(long long) j * inner]);
        out[t] = (float) acc;
    }
}

// inner == 1: one block per row, blockDim.x threads, fixed tree.
extern "C" __global__ void jq_reduce_rows(int op, const float* x, int rows, int n, float* out) {
    __shared__ double sh[1024];
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const float* p = x + (long long) r * n;
        double acc = reduce_init(op);
        for (int j = threadIdx.x; j < n; j += blockDim.x) acc = reduce_combine(op, acc, (double) p[j]);
        sh[threadIdx.x] = acc;
        __syncthreads();
        for (int s = blockDim.x >> 1; s > 0; s >>= 1) {
            if (threadIdx.x < s) sh[threadIdx.x] = reduce_combine(op, sh[threadIdx.x], sh[threadIdx.x + s]);
            __syncthreads();
        }
        if (threadIdx.x == 0) out[r] = (float) sh[0];
        __syncthreads();
    }
}

// Index of the first maximum (as ReferenceBackend: best starts at 0 and moves on strictly greater).
extern "C" __global__ void jq_argmax(const float* x, int outer, int n, int inner, float* out) {
    long long total = (long long) outer * inner;
    GRID_STRIDE_LOOP(t, total) {
        long long o = t / inner, i = t - o * inner;
        const float* p = x + o * (long long) n * inner + i;
        int best = 0;
        float bv = p[0];
        // As in PyTorch (and the reference backend), the first NaN is the maximum.
        for (int j = 1; j < n && !isnan(bv); j++) {
            float v = p[(long long) j * inner];
            if (v > bv || isnan(v)) { bv = v; best = j; }
        }
        out[t] = (float) best;
    }
}

// out[c] = Σ_b Σ_i x[(b·C + c)·hw + i]; one block per channel.
extern "C" __global__ void jq_channel_sum(const float* x, int n, int c, int hw, float* out) {
    __shared__ double sh[32];
    for (int ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double acc = 0.0;
        long long count = (long long) n * hw;
        for (long long e = threadIdx.x; e < count; e += blockDim.x) {
            long long b = e / hw, i = e - b * hw;
            acc += x[(b * c + ch) * hw + i];
        }
        acc = block_sum(acc, sh);
        if (threadIdx.x == 0) out[ch] = (float) acc;
        __syncthreads();
    }
}

// Softmax over rows of [rows, cols]; one warp per row.
extern "C" __global__ void jq_softmax(const float* x, float* y, int rows, int cols, int logMode) {
    int lane = threadIdx.x & 31;
    int warpsPerBlock = blockDim.x >> 5;
    for (long long row = (long long) blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); row < rows;
         row += (long long) gridDim.x * warpsPerBlock) {
        const float* p = x + row * cols;
        float* q = y + row * cols;
        float m = -CUDART_INF_F_;
        for (int j = lane; j < cols; j += 32) m = fmaxf(m, p[j]);
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, o));
        double s = 0.0;
        for (int j = lane; j < cols; j += 32) s += exp((double) p[j] - (double) m);
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
        double logSum = log(s);
        for (int j = lane; j < cols; j += 32) {
            double shifted = (double) p[j] - (double) m;
            q[j] = (float) (logMode ? shifted - logSum : exp(shifted) / s);
        }
    }
}

extern "C" __global__ void jq_softmax_backward(const float* y, const float* gy, float* gx, int rows, int cols, int logMode) {
    int lane = threadIdx.x & 31;
    int warpsPerBlock = blockDim.x >> 5;
    for (long long row = (long long) blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); row < rows;
         row += (long long) gridDim.x * warpsPerBlock) {
        const float* yr = y + row * cols;
        const float* gr = gy + row * cols;
        float* out = gx + row * cols;
        double acc = 0.0;
        for (int j = lane; j < cols; j += 32) acc += logMode ? (double) gr[j] : (double) gr[j] * yr[j];
        #pragma unroll
        for (int o = 16; o > 0; o >>= 1) acc += __shfl_xor_sync(0xffffffffu, acc, o);
        for (int j = lane; j < cols; j += 32) {
            out[j] = (float) (logMode ? gr[j] - exp((double) yr[j]) * acc : yr[j] * (gr[j] - acc));
        }
    }
}

extern "C" __global__ void jq_pick_rows(const float* x, int rows, int cols, const int* index, float* out) {
    GRID_STRIDE_LOOP(r, rows) out[r] = x[r * (long long) cols + index[r]];
}

// Each row touches its own element, so plain adds are race-free and deterministic.
extern "C" __global__ void jq_scatter_rows(const float* g, int rows, int cols, const int* index, float* gx) {
    GRID_STRIDE_LOOP(r, rows) {
        long long k = r * (long long) cols + index[r];
        gx[k] = __fadd_rn(gx[k], g[r]);
    }
}

extern "C" __global__ void jq_gather(const float* x, int outer, int nIn, int inner, const int* index, int nOut, float* out) {
    long long total = (long long) outer * nOut * inner;
    GRID_STRIDE_LOOP(pos, total) {
        long long o = pos / ((long long) nOut * inner);
        long long i = pos % inner;
        out[pos] = x[(o * nIn + index[pos]) * inner + i];
    }
}

// Deterministic backward of gather: one thread per gx element (o, k, i) sums, in j order, every
// g[o, j, i] whose index is k. Costs nOut reads per gx element; used when nOut is small.
extern "C" __global__ void jq_gather_backward_det(const float* g, int outer, int nIn, int inner, const int* index, int nOut, float* gx) {
    long long total = (long long) outer * nIn * inner;
    GRID_STRIDE_LOOP(t, total) {
        long long o = t / ((long long) nIn * inner);
        long long rem = t - o * nIn * (long long) inner;
        int k = (int) (rem / inner);
        long long i = rem - (long long) k * inner;
        float acc = gx[t];
        for (int j = 0; j < nOut; j++) {
            long long pos = (o * nOut + j) * inner + i;
            if (index[pos] == k) acc = __fadd_rn(acc, g[pos]);
        }
        gx[t] = acc;
    }
}

// Scatter-add with atomics: fast for large nOut but the summation order is not deterministic.
extern "C" __global__ void jq_gather_backward_atomic(const float* g, int outer, int nIn, int inner, const int* index, int nOut, float* gx) {
    long long total = (long long) outer * nOut * inner;
    GRID_STRIDE_LOOP(pos, total) {
        long long o = pos / ((long long) nOut * inner);
        long long i = pos % inner;
        atomicAdd(gx + (o * nIn + index[pos]) * inner + i, g[pos]);
    }
}
