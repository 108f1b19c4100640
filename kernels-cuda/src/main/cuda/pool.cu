// 2-D max / average pooling over planes of [h, w]. Backward passes are gathers (one thread per
// input element visiting the windows that contain it, in output order), so they need no atomics
// and are deterministic.
#include "jqat_common.cuh"

struct PoolShape {
    int planes, h, w, kh, kw, sh, sw, ph, pw, oh, ow;
};

// Flat input index of the first maximum (NaN wins) of window (p, oy, ox), as ReferenceBackend.maxIndex.
__device__ __forceinline__ long long max_index(const PoolShape& s, const float* in, long long p, int oy, int ox) {
    long long best = -1;
    float bv = 0.f;
    for (int ky = 0; ky < s.kh; ky++) {
        int iy = oy * s.sh - s.ph + ky;
        if (iy < 0 || iy >= s.h) continue;
        for (int kx = 0; kx < s.kw; kx++) {
            int ix = ox * s.sw - s.pw + kx;
            if (ix < 0 || ix >= s.w) continue;
            long long i = (p * s.h + iy) * s.w + ix;
            float v = in[i];
            if (best < 0 || v > bv || (v != v && bv == bv)) {
                best = i;
                bv = v;
            }
        }
    }
    return best;
}

__device__ __forceinline__ int avg_divisor(const PoolShape& s, int oy, int ox) {
    int y0 = oy * s.sh - s.ph, x0 = ox * s.sw - s.pw;
    int y1 = min(y0 + s.kh, s.h + s.ph), x1 = min(x0 + s.kw, s.w + s.pw);
    return (y1 - y0) * (x1 - x0);
}

extern "C" __global__ void jq_maxpool_forward(PoolShape s, const float* __restrict__ x, float* __restrict__ y) {
    long long total = (long long) s.planes * s.oh * s.ow;
    GRID_STRIDE_LOOP(t, total) {
        int ox = (int) (t % s.ow);
        long long r = t / s.ow;
        int oy = (int) (r % s.oh);
        long long p = r / s.oh;
        y[t] = x[max_index(s, x, p, oy, ox)];
    }
}

// Range of outputs whose window covers input coordinate i: lo..hi inclusive (empty when lo > hi).
__device__ __forceinline__ void covering(int i, int pad, int k, int stride, int outSize, int& lo, int& hi) {
    int num = i + pad - k + 1;
    lo = num <= 0 ? 0 : (num + stride - 1) / stride;
    hi = (i + pad) / stride;
    if (hi > outSize - 1) hi = outSize - 1;
}

extern "C" __global__ void jq_maxpool_backward(PoolShape s, const float* __restrict__ x, const float* __restrict__ gy,
                                               float* __restrict__ gx) {
    long long total = (long long) s.planes * s.h * s.w;
    GRID_STRIDE_LOOP(t, total) {
        int ix = (int) (t % s.w);
        long long r = t / s.w;
        int iy = (int) (r % s.h);
        long long p = r / s.h;
        int oy0, oy1, ox0, ox1;
        covering(iy, s.ph, s.kh, s.sh, s.oh, oy0, oy1);
        covering(ix, s.pw, s.kw, s.sw, s.ow, ox0, ox1);
        float acc = 0.f;
        for (int oy = oy0; oy <= oy1; oy++) {
            for (int ox = ox0; ox <= ox1; ox++) {
                if (max_index(s, x, p, oy, ox) == t) acc = __fadd_rn(acc, gy[(p * s.oh + oy) * s.ow + ox]);
            }
        }
        gx[t] = acc;
    }
}

extern "C" __global__ void jq_avgpool_forward(PoolShape s, const float* __restrict__ x, float* __restrict__ y) {
    long long total = (long long) s.planes * s.oh * s.ow;
    GRID_STRIDE_LOOP(t, total) {
        int ox = (int) (t % s.ow);
        long long r = t / s.ow;
        int oy = (int) (r % s.oh);
        long long p = r / s.oh;
        double acc = 0.0;
        for (int ky = 0; ky < s.kh; ky++) {
            int iy = oy * s.sh - s.ph + ky;
            if (iy < 0 || iy >= s.h) continue;
            for (int kx = 0; kx < s.kw; kx++) {
                int ix = ox * s.sw - s.pw + kx;
                if (ix >= 0 && ix < s.w) acc += x[(p * s.h + iy) * s.w + ix];
            }
        }
        y[t] = (float) (acc / avg_divisor(s, oy, ox));
    }
}

extern "C" __global__ void jq_avgpool_backward(PoolShape s, const float* __restrict__ gy, float* __restrict__ gx) {
    long long total = (long long) s.planes * s.h * s.w;
    GRID_STRIDE_LOOP(t, total) {
        int ix = (int) (t % s.w);
        long long r = t / s.w;
        int iy = (int) (r % s.h);
        long long p = r / s.h;
        int oy0, oy1, ox0, ox1;
        covering(iy, s.ph, s.kh, s.sh, s.oh, oy0, oy1);
        covering(ix, s.pw, s.kw, s.sw, s.ow, ox0, ox1);
        float acc = 0.f;
        for (int oy = oy0; oy <= oy1; oy++) {
            for (int ox = ox0; ox <= ox1; ox++) {
                float share = __fdiv_rn(gy[(p * s.oh + oy) * s.ow + ox], (float) avg_divisor(s, oy, ox));
                acc = __fadd_rn(acc, share);
            }
        }
        gx[t] = acc;
    }
}
