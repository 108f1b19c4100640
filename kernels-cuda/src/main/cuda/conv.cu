// Convolution helpers. A batch chunk of nb images starting at image n0 is lowered to
//   col[K = cIn·kh·kw][nb·P]  (P = outH·outW),
// so forward is one GEMM per group: Y'[cOut][nb·P] = W[cOut][K/groups] · col, then Y' is
// permuted back to NCHW with the bias added. Backward-data is GEMM (Wᵀ·gy') then col2im (a
// gather, deterministic); backward-weight is gy'·colᵀ accumulated over chunks.
#include "jqat_common.cuh"

struct ConvShape {
    int n, cIn, h, w, cOut, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

extern "C" __global__ void jq_im2col(ConvShape s, const float* __restrict__ x, int n0, int nb, float* __restrict__ col) {
    long long P = (long long) s.oh * s.ow;
    long long cols = nb * P;
    long long total = (long long) s.cIn * s.kh * s.kw * cols;
    GRID_STRIDE_LOOP(t, total) {
        long long row = t / cols, cidx = t - row * cols;
        int kx = (int) (row % s.kw);
        int ky = (int) ((row / s.kw) % s.kh);
        int ci = (int) (row / ((long long) s.kw * s.kh));
        long long b = cidx / P, pidx = cidx - b * P;
        int oy = (int) (pidx / s.ow), ox = (int) (pidx % s.ow);
        int iy = oy * s.sh - s.ph + ky * s.dh;
        int ix = ox * s.sw - s.pw + kx * s.dw;
        float v = 0.f;
        if (iy >= 0 && iy < s.h && ix >= 0 && ix < s.w) {
            v = x[(((long long) (n0 + b) * s.cIn + ci) * s.h + iy) * s.w + ix];
        }
        col[t] = v;
    }
}

// gx[n0 + b, ci, iy, ix] = Σ over (ky, kx) of col[(ci·kh + ky)·kw + kx][b·P + oy·ow + ox] for
// the output positions that read (iy, ix). Overwrites gx for the chunk's images.
extern "C" __global__ void jq_col2im(ConvShape s, const float* __restrict__ col, int n0, int nb, float* __restrict__ gx) {
    long long P = (long long) s.oh * s.ow;
    long long cols = nb * P;
    long long total = (long long) nb * s.cIn * s.h * s.w;
    GRID_STRIDE_LOOP(t, total) {
        int ix = (int) (t % s.w);
        long long r = t / s.w;
        int iy = (int) (r % s.h);
        r /= s.h;
        int ci = (int) (r % s.cIn);
        long long b = r / s.cIn;
        float acc = 0.f;
        for (int ky = 0; ky < s.kh; ky++) {
            int ty = iy + s.ph - ky * s.dh;
            if (ty < 0 || ty % s.sh != 0) continue;
            int oy = ty / s.sh;
            if (oy >= s.oh) continue;
            for (int kx = 0; kx < s.kw; kx++) {
                int tx = ix + s.pw - kx * s.dw;
                if (tx < 0 || tx % s.sw != 0) continue;
                int ox = tx / s.sw;
                if (ox >= s.ow) continue;
                long long row = ((long long) ci * s.kh + ky) * s.kw + kx;
                acc = __fadd_rn(acc, col[row * cols + b * P + (long long) oy * s.ow + ox]);
            }
        }
        gx[(((long long) (n0 + b) * s.cIn + ci) * s.h + iy) * s.w + ix] = acc;
    }
}

// y[n0 + b, co, p] = ycol[co][b·P + p] + bias[co] (bias may be null).
extern "C" __global__ void jq_conv_cnp_to_nchw(const float* __restrict__ ycol, const float* __restrict__ bias,
                                               int cOut, int P, int n0, int nb, float* __restrict__ y) {
    long long total = (long long) nb * cOut * P;
    GRID_STRIDE_LOOP(t, total) {
        long long p = t % P;
        long long r = t / P;
        int co = (int) (r % cOut);
        long long b = r / cOut;
        float v = ycol[(long long) co * nb * P + b * P + p];
        if (bias != nullptr) v = __fadd_rn(v, bias[co]);
        y[((n0 + b) * cOut + co) * P + p] = v;
    }
}

// gcol[co][b·P + p] = gy[n0 + b, co, p].
extern "C" __global__ void jq_conv_nchw_to_cnp(const float* __restrict__ gy, int cOut, int P, int n0, int nb,
                                               float* __restrict__ gcol) {
    long long total = (long long) nb * cOut * P;
    GRID_STRIDE_LOOP(t, total) {
        long long p = t % P;
        long long r = t / P;
        int co = (int) (r % cOut);
        long long b = r / cOut;
        gcol[(long long) co * nb * P + b * P + p] = gy[((n0 + b) * cOut + co) * P + p];
    }
}
