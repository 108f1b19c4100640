// Fake quantization (LSQ / LSQ+ / PACT / DoReFa uniform quantizer), x viewed as [outer, C, inner]:
//   v = (x − β)/s,  q = rint(clamp(v, qmin, qmax)),  y = q·s + β,  mask bit = qmin <= v <= qmax.
// Arithmetic uses explicit round-to-nearest intrinsics (no FMA contraction) so results are
// bit-identical to ReferenceBackend's float code.
#include "jqat_common.cuh"

__device__ __forceinline__ float fq_v(float x, float s, float b) {
    return __fdiv_rn(__fsub_rn(x, b), s);
}

// Java semantics: NaN stays NaN through the clamp (Math.min/max), unlike fminf/fmaxf.
__device__ __forceinline__ float fq_clamp(float v, float lo, float hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

// Forward. Each warp handles 32 consecutive elements per step and lane 0 stores the 32-bit word
// of the mask built with __ballot_sync (mask words are little-endian 64-bit in Java, which is the
// same bytes as consecutive 32-bit words). The loop runs to a multiple of 64 elements so the tail
// word is fully written (bits past n are zero). offset may be null (β = 0).
extern "C" __global__ void jq_fq_forward(const float* __restrict__ x, const float* __restrict__ scale,
                                         const float* __restrict__ offset, float* __restrict__ y,
                                         unsigned int* __restrict__ mask, int outer, int channels, int inner,
                                         float qmin, float qmax) {
    long long n = (long long) outer * channels * inner;
    long long padded = (n + 63) / 64 * 64;
    int lane = threadIdx.x & 31;
    long long stride = (long long) gridDim.x * blockDim.x;
    for (long long base = ((long long) blockIdx.x * blockDim.x + threadIdx.x) & ~31LL; base < padded; base += stride) {
        long long k = base + lane;
        bool inside = false;
        if (k < n) {
            int c = channels == 1 ? 0 : (int) ((k / inner) % channels);
            float s = scale[c];
            float b = offset == nullptr ? 0.f : offset[c];
            float v = fq_v(x[k], s, b);
            inside = v >= qmin && v <= qmax;
            float q = rintf(fq_clamp(v, qmin, qmax));
            y[k] = __fadd_rn(__fmul_rn(q, s), b);
        }
        unsigned int word = __ballot_sync(0xffffffffu, inside);
        if (lane == 0) mask[base >> 5] = word;
    }
}

// Backward pass 1. Grid (chunks, C): block (chunk, c) covers elements [chunk·per, (chunk+1)·per)
// of channel c (there are outer·inner of them), writes gx = mask ? gy : 0 and the block's partial
// sums Σ gy·(inside ? (stepGradInside ? q − v : 0) : q_clip) and Σ gy·(inside ? 0 : 1) into
// partial[(c·chunks + chunk)·2 + {0,1}] (doubles), reduced with warp shuffles then across warps.
extern "C" __global__ void jq_fq_backward_partial(const float* __restrict__ x, const float* __restrict__ gy,
                                                  const float* __restrict__ scale, const float* __restrict__ offset,
                                                  const unsigned int* __restrict__ mask, float* __restrict__ gx,
                                                  double* __restrict__ partial, int outer, int channels, int inner,
                                                  float qmin, float qmax, int stepGradInside, int per, int wantSums) {
    __shared__ double sh[32];
    int c = blockIdx.y;
    int chunks = gridDim.x;
    long long perChannel = (long long) outer * inner;
    long long start = (long long) blockIdx.x * per;
    long long end = min(start + per, perChannel);
    float s = scale[c];
    float b = offset == nullptr ? 0.f : offset[c];
    double accS = 0.0, accO = 0.0;
    for (long long e = start + threadIdx.x; e < end; e += blockDim.x) {
        long long o = e / inner, i = e - o * inner;
        long long k = (o * channels + c) * inner + i;
        bool inside = (mask[k >> 5] >> (k & 31)) & 1u;
        float g = gy[k];
        if (gx != nullptr) gx[k] = inside ? g : 0.f;
        if (wantSums) {
            float v = fq_v(x[k], s, b);
            if (inside) {
                if (stepGradInside) accS += (double) g * (double) __fsub_rn(rintf(v), v);
            } else {
                accS += (double) g * (double) (v < qmin ? qmin : qmax);
                accO += (double) g;
            }
        }
    }
    if (!wantSums) return;
    accS = block_sum(accS, sh);
    __syncthreads();
    accO = block_sum(accO, sh);
    if (threadIdx.x == 0) {
        long long p = ((long long) c * chunks + blockIdx.x) * 2;
        partial[p] = accS;
        partial[p + 1] = accO;
    }
}

// Backward pass 2: one warp per channel sums its chunk partials in a fixed order (deterministic)
// and scales by gradScale. gScale / gOffset may be null.
extern "C" __global__ void jq_fq_backward_finish(const double* __restrict__ partial, int channels, int chunks,
                                                 float gradScale, float* __restrict__ gScale, float* __restrict__ gOffset) {
    int lane = threadIdx.x & 31;
    int warpsPerBlock = blockDim.x >> 5;
    for (int c = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); c < channels; c += gridDim.x * warpsPerBlock) {
        double s = 0.0, o = 0.0;
        for (int j = lane; j < chunks; j += 32) {
            s += partial[((long long) c * chunks + j) * 2];
            o += partial[((long long) c * chunks + j) * 2 + 1];
        }
        s = warp_sum(s);
        o = warp_sum(o);
        if (lane == 0) {
            if (gScale != nullptr) gScale[c] = (float) (s * gradScale);
            if (gOffset != nullptr) gOffset[c] = (float) (o * gradScale);
        }
    }
}
