// Batch normalisation over [n, C, hw]. Statistics are reduced in two deterministic passes: grid
// (chunks, C) blocks write per-chunk double partials, then one warp per channel combines them in
// a fixed order. Sums are shifted by the channel's first element for a stable variance.
#include "jqat_common.cuh"

__device__ __forceinline__ long long bn_index(long long e, int c, int ch, int hw) {
    long long b = e / hw, i = e - b * hw;
    return (b * c + ch) * hw + i;
}

// partial[(ch·chunks + chunk)·2 + {0,1}] = Σ (x − K), Σ (x − K)² with K = x[first element of ch].
extern "C" __global__ void jq_bn_stats_partial(const float* __restrict__ x, int n, int c, int hw, int per,
                                               double* __restrict__ partial) {
    __shared__ double sh[32];
    int ch = blockIdx.y;
    long long count = (long long) n * hw;
    long long start = (long long) blockIdx.x * per;
    long long end = min(start + per, count);
    double shift = x[(long long) ch * hw];
    double s1 = 0.0, s2 = 0.0;
    for (long long e = start + threadIdx.x; e < end; e += blockDim.x) {
        double d = (double) x[bn_index(e, c, ch, hw)] - shift;
        s1 += d;
        s2 += d * d;
    }
    s1 = block_sum(s1, sh);
    __syncthreads();
    s2 = block_sum(s2, sh);
    if (threadIdx.x == 0) {
        long long p = ((long long) ch * gridDim.x + blockIdx.x) * 2;
        partial[p] = s1;
        partial[p + 1] = s2;
    }
}

// Combines the partials: mean, biased var, invStd, and the affine coefficients
// coef[ch·2] = gamma·invStd, coef[ch·2+1] = beta − mean·gamma·invStd (doubles) for jq_bn_apply.
extern "C" __global__ void jq_bn_stats_finish(const float* __restrict__ x, const double* __restrict__ partial,
                                              int n, int c, int hw, int chunks, float eps,
                                              const float* __restrict__ gamma, const float* __restrict__ beta,
                                              float* __restrict__ mean, float* __restrict__ var, float* __restrict__ invStd,
                                              double* __restrict__ coef) {
    int lane = threadIdx.x & 31;
    int warpsPerBlock = blockDim.x >> 5;
    for (int ch = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); ch < c; ch += gridDim.x * warpsPerBlock) {
        double s1 = 0.0, s2 = 0.0;
        for (int j = lane; j < chunks; j += 32) {
            s1 += partial[((long long) ch * chunks + j) * 2];
            s2 += partial[((long long) ch * chunks + j) * 2 + 1];
        }
        s1 = warp_sum(s1);
        s2 = warp_sum(s2);
        if (lane == 0) {
            double count = (double) n * hw;
            double shift = x[(long long) ch * hw];
            double dm = s1 / count;
            double mu = shift + dm;
            double v = s2 / count - dm * dm;
            if (v < 0.0) v = 0.0;
            double inv = 1.0 / sqrt(v + (double) eps);
            mean[ch] = (float) mu;
            var[ch] = (float) v;
            invStd[ch] = (float) inv;
            double sc = (gamma == nullptr ? 1.0 : (double) gamma[ch]) * inv;
            coef[ch * 2] = sc;
            coef[ch * 2 + 1] = (beta == nullptr ? 0.0 : (double) beta[ch]) - mu * sc;
        }
    }
}

// Eval mode: coefficients from given statistics.
extern "C" __global__ void jq_bn_eval_coef(int c, const float* __restrict__ mean, const float* __restrict__ var,
                                           const float* __restrict__ gamma, const float* __restrict__ beta, float eps,
                                           double* __restrict__ coef) {
    GRID_STRIDE_LOOP(ch, c) {
        double inv = 1.0 / sqrt((double) var[ch] + (double) eps);
        double sc = (gamma == nullptr ? 1.0 : (double) gamma[ch]) * inv;
        coef[ch * 2] = sc;
        coef[ch * 2 + 1] = (beta == nullptr ? 0.0 : (double) beta[ch]) - (double) mean[ch] * sc;
    }
}

// y = x·coef[ch·2] + coef[ch·2+1].
extern "C" __global__ void jq_bn_apply(const float* __restrict__ x, int n, int c, int hw,
                                       const double* __restrict__ coef, float* __restrict__ y) {
    long long total = (long long) n * c * hw;
    GRID_STRIDE_LOOP(k, total) {
        int ch = (int) ((k / hw) % c);
        y[k] = (float) ((double) x[k] * coef[ch * 2] + coef[ch * 2 + 1]);
    }
}

// Backward pass 1: partial Σ gy and Σ gy·x̂ per chunk of each channel.
extern "C" __global__ void jq_bn_backward_partial(const float* __restrict__ x, const float* __restrict__ gy,
                                                  int n, int c, int hw, int per,
                                                  const float* __restrict__ mean, const float* __restrict__ invStd,
                                                  double* __restrict__ partial) {
    __shared__ double sh[32];
    int ch = blockIdx.y;
    long long count = (long long) n * hw;
    long long start = (long long) blockIdx.x * per;
    long long end = min(start + per, count);
    double m = mean[ch], is = invStd[ch];
    double sg = 0.0, sgx = 0.0;
    for (long long e = start + threadIdx.x; e < end; e += blockDim.x) {
        long long k = bn_index(e, c, ch, hw);
        double g = gy[k];
        sg += g;
        sgx += g * (((double) x[k] - m) * is);
    }
    sg = block_sum(sg, sh);
    __syncthreads();
    sgx = block_sum(sgx, sh);
    if (threadIdx.x == 0) {
        long long p = ((long long) ch * gridDim.x + blockIdx.x) * 2;
        partial[p] = sg;
        partial[p + 1] = sgx;
    }
}

// Backward pass 2: sums[ch·2] = Σ gy, sums[ch·2+1] = Σ gy·x̂ in fixed order; writes gGamma / gBeta.
extern "C" __global__ void jq_bn_backward_finish(const double* __restrict__ partial, int c, int chunks,
                                                 double* __restrict__ sums, float* __restrict__ gGamma,
                                                 float* __restrict__ gBeta) {
    int lane = threadIdx.x & 31;
    int warpsPerBlock = blockDim.x >> 5;
    for (int ch = blockIdx.x * warpsPerBlock + (threadIdx.x >> 5); ch < c; ch += gridDim.x * warpsPerBlock) {
        double sg = 0.0, sgx = 0.0;
        for (int j = lane; j < chunks; j += 32) {
            sg += partial[((long long) ch * chunks + j) * 2];
            sgx += partial[((long long) ch * chunks + j) * 2 + 1];
        }
        sg = warp_sum(sg);
        sgx = warp_sum(sgx);
        if (lane == 0) {
            sums[ch * 2] = sg;
            sums[ch * 2 + 1] = sgx;
            if (gGamma != nullptr) gGamma[ch] = (float) sgx;
            if (gBeta != nullptr) gBeta[ch] = (float) sg;
        }
    }
}

// Backward pass 3: gx = gamma·invStd·(gy − Σgy/N − x̂·Σgy·x̂/N).
extern "C" __global__ void jq_bn_backward_dx(const float* __restrict__ x, const float* __restrict__ gy,
                                             int n, int c, int hw, const float* __restrict__ gamma,
                                             const float* __restrict__ mean, const float* __restrict__ invStd,
                                             const double* __restrict__ sums, float* __restrict__ gx) {
    long long total = (long long) n * c * hw;
    double count = (double) n * hw;
    GRID_STRIDE_LOOP(k, total) {
        int ch = (int) ((k / hw) % c);
        double is = invStd[ch];
        double xhat = ((double) x[k] - mean[ch]) * is;
        double scale = (gamma == nullptr ? 1.0 : (double) gamma[ch]) * is;
        gx[k] = (float) (scale * ((double) gy[k] - sums[ch * 2] / count - xhat * sums[ch * 2 + 1] / count));
    }
}
