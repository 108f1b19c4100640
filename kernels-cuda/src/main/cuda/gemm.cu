// Tiled SGEMM, row-major: C = alpha·op(A)·op(B) + beta·C (C not read when beta == 0).
// 256 threads per block compute a BM×BN tile of C; each thread owns a TM×TN register block
// (rows ty + i·BM/TM, columns tx + j·BN/TN, so shared-memory reads broadcast or are
// conflict-free and global stores are coalesced). The K loop stages BK-deep slices of A and B in
// shared memory (A stored k-major), double-buffered: the next slice is fetched into registers
// while the current one is multiplied. Every transpose case is a separate instantiation so the
// load indexing is resolved at compile time. Edges are zero-padded, so any m, n, k, ld and
// offset work.
#include "jqat_common.cuh"

#define GEMM_THREADS 256
#define BK 8

template <int BM, int BN, int TM, int TN, bool TA, bool TB>
__device__ __forceinline__ void gemm_tile(int m, int n, int k, float alpha,
                                          const float* __restrict__ a, int lda,
                                          const float* __restrict__ b, int ldb,
                                          float beta, float* __restrict__ c, int ldc) {
    constexpr int A_LOADS = BM * BK / GEMM_THREADS;
    constexpr int B_LOADS = BK * BN / GEMM_THREADS;
    constexpr int TX = BN / TN;    // threads along n
    static_assert(TX * (BM / TM) == GEMM_THREADS, "tile / thread mismatch");
    static_assert(A_LOADS >= 1 && B_LOADS >= 1, "tile too small");

    __shared__ float As[2][BK][BM];
    __shared__ float Bs[2][BK][BN];

    const int tid = threadIdx.x;
    const int tx = tid % TX, ty = tid / TX;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;

    float acc[TM][TN];
    #pragma unroll
    for (int i = 0; i < TM; i++)
        #pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = 0.f;

    float ra[A_LOADS], rb[B_LOADS];

    auto loadA = [&](int k0) {
        #pragma unroll
        for (int l = 0; l < A_LOADS; l++) {
            int idx = tid + l * GEMM_THREADS;
            int row, kk;
            if (TA) { kk = idx / BM; row = idx % BM; } else { row = idx / BK; kk = idx % BK; }
            int gi = m0 + row, gk = k0 + kk;
            float v = 0.f;
            if (gi < m && gk < k) v = TA ? a[(long long) gk * lda + gi] : a[(long long) gi * lda + gk];
            ra[l] = v;
        }
    };
    auto storeA = [&](int buf) {
        #pragma unroll
        for (int l = 0; l < A_LOADS; l++) {
            int idx = tid + l * GEMM_THREADS;
            int row, kk;
            if (TA) { kk = idx / BM; row = idx % BM; } else { row = idx / BK; kk = idx % BK; }
            As[buf][kk][row] = ra[l];
        }
    };
    auto loadB = [&](int k0) {
        #pragma unroll
        for (int l = 0; l < B_LOADS; l++) {
            int idx = tid + l * GEMM_THREADS;
            int col, kk;
            if (TB) { col = idx / BK; kk = idx % BK; } else { kk = idx / BN; col = idx % BN; }
            int gj = n0 + col, gk = k0 + kk;
            float v = 0.f;
            if (gj < n && gk < k) v = TB ? b[(long long) gj * ldb + gk] : b[(long long) gk * ldb + gj];
            rb[l] = v;
        }
    };
    auto storeB = [&](int buf) {
        #pragma unroll
        for (int l = 0; l < B_LOADS; l++) {
            int idx = tid + l * GEMM_THREADS;
            int col, kk;
            if (TB) { col = idx / BK; kk = idx % BK; } else { kk = idx / BN; col = idx % BN; }
            Bs[buf][kk][col] = rb[l];
        }
    };

    int buf = 0;
    if (k > 0) {
        loadA(0);
        loadB(0);
        storeA(0);
        storeB(0);
    }
    __syncthreads();
    for (int k0 = 0; k0 < k; k0 += BK) {
        bool more = k0 + BK < k;
        if (more) {
            loadA(k0 + BK);
            loadB(k0 + BK);
        }
        #pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            float av[TM], bv[TN];
            #pragma unroll
            for (int i = 0; i < TM; i++) av[i] = As[buf][kk][ty + i * (BM / TM)];
            #pragma unroll
            for (int j = 0; j < TN; j++) bv[j] = Bs[buf][kk][tx + j * TX];
            #pragma unroll
            for (int i = 0; i < TM; i++)
                #pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        if (more) {
            storeA(buf ^ 1);
            storeB(buf ^ 1);
        }
        __syncthreads();
        buf ^= 1;
    }

    #pragma unroll
    for (int i = 0; i < TM; i++) {
        int gi = m0 + ty + i * (BM / TM);
        if (gi >= m) continue;
        #pragma unroll
        for (int j = 0; j < TN; j++) {
            int gj = n0 + tx + j * TX;
            if (gj >= n) continue;
            float* p = c + (long long) gi * ldc + gj;
            float v = alpha * acc[i][j];
            if (beta != 0.f) v = fmaf(beta, *p, v);
            *p = v;
        }
    }
}

#define GEMM_ENTRY(NAME, BM, BN, TM, TN, TA, TB)                                                   \
    extern "C" __global__ void __launch_bounds__(GEMM_THREADS)                                     \
    NAME(int m, int n, int k, float alpha, const float* a, int aOffset, int lda,                    \
         const float* b, int bOffset, int ldb, float beta, float* c, int cOffset, int ldc) {        \
        gemm_tile<BM, BN, TM, TN, TA, TB>(m, n, k, alpha, a + aOffset, lda, b + bOffset, ldb, beta, \
                                          c + cOffset, ldc);                                        \
    }

// Large tiles (128×128, 8×8 per thread) for big m and n.
GEMM_ENTRY(jq_sgemm_128x128_nn, 128, 128, 8, 8, false, false)
GEMM_ENTRY(jq_sgemm_128x128_nt, 128, 128, 8, 8, false, true)
GEMM_ENTRY(jq_sgemm_128x128_tn, 128, 128, 8, 8, true, false)
GEMM_ENTRY(jq_sgemm_128x128_tt, 128, 128, 8, 8, true, true)
// Short m (<= 32 rows, e.g. 16-channel convolutions): 32×128 tiles, 2×8 per thread.
GEMM_ENTRY(jq_sgemm_32x128_nn, 32, 128, 2, 8, false, false)
GEMM_ENTRY(jq_sgemm_32x128_nt, 32, 128, 2, 8, false, true)
GEMM_ENTRY(jq_sgemm_32x128_tn, 32, 128, 2, 8, true, false)
GEMM_ENTRY(jq_sgemm_32x128_tt, 32, 128, 2, 8, true, true)
// Narrow n (<= 32 columns, e.g. a classifier head): 128×32 tiles, 8×2 per thread.
GEMM_ENTRY(jq_sgemm_128x32_nn, 128, 32, 8, 2, false, false)
GEMM_ENTRY(jq_sgemm_128x32_nt, 128, 32, 8, 2, false, true)
GEMM_ENTRY(jq_sgemm_128x32_tn, 128, 32, 8, 2, true, false)
GEMM_ENTRY(jq_sgemm_128x32_tt, 128, 32, 8, 2, true, true)
