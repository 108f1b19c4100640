package org.jqat.core.backend;

import java.util.Arrays;

/**
 * The scalar oracle: plain loops, one element at a time, double accumulators, no tricks.
 * Every fast kernel is tested against this class, so clarity matters more than speed here.
 */
public class ReferenceBackend implements Backend {

    @Override
    public String name() {
        return "reference";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public String describe() {
        return "reference: scalar Java, single thread (the oracle for fast kernels)";
    }

    // ---- memory ---------------------------------------------------------------------------

    @Override
    public Storage allocate(int size) {
        return new HeapStorage(size);
    }

    @Override
    public Storage upload(float[] data) {
        return new HeapStorage(data.clone());
    }

    @Override
    public float[] download(Storage s, int offset, int count) {
        return Arrays.copyOfRange(HeapStorage.of(s), offset, offset + count);
    }

    @Override
    public void copy(int[] shape, Storage src, int srcOffset, int[] srcStrides,
                     Storage dst, int dstOffset, int[] dstStrides) {
        float[] s = HeapStorage.of(src);
        float[] d = HeapStorage.of(dst);
        int total = numel(shape);
        int[] idx = new int[shape.length];
        for (int i = 0; i < total; i++) {
            d[dstOffset + dot(idx, dstStrides)] = s[srcOffset + dot(idx, srcStrides)];
            increment(idx, shape);
        }
    }

    @Override
    public void fill(Storage dst, int offset, int count, float value) {
        Arrays.fill(HeapStorage.of(dst), offset, offset + count, value);
    }

    // ---- elementwise ----------------------------------------------------------------------

    @Override
    public void unary(UnaryOp op, Storage x, Storage y, int n) {
        float[] a = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        for (int i = 0; i < n; i++) {
            out[i] = apply(op, a[i]);
        }
    }

    /** The scalar definition of each unary op, shared with tests. */
    public static float apply(UnaryOp op, float v) {
        return switch (op) {
            case NEG -> -v;
            case ABS -> Math.abs(v);
            case EXP -> (float) Math.exp(v);
            case LOG -> (float) Math.log(v);
            case SQRT -> (float) Math.sqrt(v);
            case TANH -> (float) Math.tanh(v);
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-v)));
            case RELU -> v > 0 ? v : 0f;
            case ROUND -> (float) Math.rint(v);
            case SQUARE -> v * v;
            case RECIPROCAL -> 1f / v;
        };
    }

    @Override
    public void unaryBackward(UnaryOp op, Storage x, Storage y, Storage gy, Storage gx, int n) {
        float[] a = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        float[] g = HeapStorage.of(gy);
        float[] r = HeapStorage.of(gx);
        for (int i = 0; i < n; i++) {
            float v = a[i];
            float d = switch (op) {
                case NEG -> -1f;
                case ABS -> Math.signum(v);
                case EXP -> out[i];
                case LOG -> 1f / v;
                case SQRT -> 0.5f / out[i];
                case TANH -> 1f - out[i] * out[i];
                case SIGMOID -> out[i] * (1f - out[i]);
                case RELU -> v > 0 ? 1f : 0f;
                case ROUND -> 0f;
                case SQUARE -> 2f * v;
                case RECIPROCAL -> -out[i] * out[i];
            };
            r[i] = g[i] * d;
        }
    }

    @Override
    public void clamp(Storage x, Storage y, int n, float lo, float hi) {
        float[] a = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        for (int i = 0; i < n; i++) {
            out[i] = Math.min(Math.max(a[i], lo), hi);
        }
    }

    @Override
    public void clampBackward(Storage x, Storage gy, Storage gx, int n, float lo, float hi) {
        float[] a = HeapStorage.of(x);
        float[] g = HeapStorage.of(gy);
        float[] r = HeapStorage.of(gx);
        for (int i = 0; i < n; i++) {
            r[i] = a[i] >= lo && a[i] <= hi ? g[i] : 0f;
        }
    }

    @Override
    public void binary(BinaryOp op, int[] shape, Storage a, int aOffset, int[] aStrides,
                       Storage b, int bOffset, int[] bStrides, Storage out) {
        float[] x = HeapStorage.of(a);
        float[] y = HeapStorage.of(b);
        float[] z = HeapStorage.of(out);
        int total = numel(shape);
        int[] idx = new int[shape.length];
        for (int i = 0; i < total; i++) {
            z[i] = apply(op, x[aOffset + dot(idx, aStrides)], y[bOffset + dot(idx, bStrides)]);
            increment(idx, shape);
        }
    }

    /** The scalar definition of each binary op, shared with tests. */
    public static float apply(BinaryOp op, float u, float v) {
        return switch (op) {
            case ADD -> u + v;
            case SUB -> u - v;
            case MUL -> u * v;
            case DIV -> u / v;
            case MAX -> Math.max(u, v);
            case MIN -> Math.min(u, v);
            case POW -> (float) Math.pow(u, v);
            case EQ -> u == v ? 1f : 0f;
            case GT -> u > v ? 1f : 0f;
            case GE -> u >= v ? 1f : 0f;
            case LT -> u < v ? 1f : 0f;
            case LE -> u <= v ? 1f : 0f;
        };
    }

    @Override
    public void affine(Storage x, Storage y, int n, float scale, float shift) {
        float[] a = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        for (int i = 0; i < n; i++) {
            out[i] = a[i] * scale + shift;
        }
    }

    // ---- reductions -----------------------------------------------------------------------

    @Override
    public void reduce(ReduceOp op, Storage x, int outer, int n, int inner, Storage out) {
        float[] a = HeapStorage.of(x);
        float[] r = HeapStorage.of(out);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                double acc = switch (op) {
                    case SUM -> 0.0;
                    case MAX -> Double.NEGATIVE_INFINITY;
                    case MIN -> Double.POSITIVE_INFINITY;
                };
                for (int j = 0; j < n; j++) {
                    float v = a[base + j * inner];
                    acc = switch (op) {
                        case SUM -> acc + v;
                        // NaN propagates, as in PyTorch.
                        case MAX -> (v > acc || Float.isNaN(v)) ? v : acc;
                        case MIN -> (v < acc || Float.isNaN(v)) ? v : acc;
                    };
                }
                r[o * inner + i] = (float) acc;
            }
        }
    }

    @Override
    public void argmax(Storage x, int outer, int n, int inner, Storage out) {
        float[] a = HeapStorage.of(x);
        float[] r = HeapStorage.of(out);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                int base = o * n * inner + i;
                int best = 0;
                // As in PyTorch, a NaN is the maximum (the first NaN wins), so argmax agrees with max.
                for (int j = 1; j < n && !Float.isNaN(a[base + best * inner]); j++) {
                    float v = a[base + j * inner];
                    if (v > a[base + best * inner] || Float.isNaN(v)) {
                        best = j;
                    }
                }
                r[o * inner + i] = best;
            }
        }
    }

    @Override
    public void channelSum(Storage x, int n, int c, int hw, Storage out) {
        float[] a = HeapStorage.of(x);
        float[] r = HeapStorage.of(out);
        for (int ch = 0; ch < c; ch++) {
            double acc = 0;
            for (int b = 0; b < n; b++) {
                int base = (b * c + ch) * hw;
                for (int i = 0; i < hw; i++) {
                    acc += a[base + i];
                }
            }
            r[ch] = (float) acc;
        }
    }

    // ---- linear algebra -------------------------------------------------------------------

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     Storage a, int aOffset, int lda, Storage b, int bOffset, int ldb,
                     float beta, Storage c, int cOffset, int ldc) {
        float[] x = HeapStorage.of(a);
        float[] y = HeapStorage.of(b);
        float[] z = HeapStorage.of(c);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? x[aOffset + p * lda + i] : x[aOffset + i * lda + p];
                    float bv = transB ? y[bOffset + j * ldb + p] : y[bOffset + p * ldb + j];
                    acc += (double) av * bv;
                }
                int ci = cOffset + i * ldc + j;
                z[ci] = (float) (alpha * acc + (beta == 0f ? 0.0 : (double) beta * z[ci]));
            }
        }
    }

    // ---- softmax --------------------------------------------------------------------------

    @Override
    public void softmax(Storage x, Storage y, int rows, int cols, boolean log) {
        float[] a = HeapStorage.of(x);
        float[] r = HeapStorage.of(y);
        for (int row = 0; row < rows; row++) {
            int base = row * cols;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) {
                max = Math.max(max, a[base + j]);
            }
            double sum = 0;
            for (int j = 0; j < cols; j++) {
                sum += Math.exp(a[base + j] - max);
            }
            double logSum = Math.log(sum);
            for (int j = 0; j < cols; j++) {
                double shifted = a[base + j] - max;
                r[base + j] = (float) (log ? shifted - logSum : Math.exp(shifted) / sum);
            }
        }
    }

    @Override
    public void softmaxBackward(Storage y, Storage gy, Storage gx, int rows, int cols, boolean log) {
        float[] out = HeapStorage.of(y);
        float[] g = HeapStorage.of(gy);
        float[] r = HeapStorage.of(gx);
        for (int row = 0; row < rows; row++) {
            int base = row * cols;
            double acc = 0;
            for (int j = 0; j < cols; j++) {
                acc += log ? g[base + j] : (double) g[base + j] * out[base + j];
            }
            for (int j = 0; j < cols; j++) {
                int i = base + j;
                r[i] = (float) (log
                        ? g[i] - Math.exp(out[i]) * acc         // d/dx of log-softmax
                        : out[i] * (g[i] - acc));               // d/dx of softmax
            }
        }
    }

    @Override
    public void pickRows(Storage x, int rows, int cols, int[] index, Storage out) {
        float[] a = HeapStorage.of(x);
        float[] r = HeapStorage.of(out);
        for (int row = 0; row < rows; row++) {
            r[row] = a[row * cols + index[row]];
        }
    }

    @Override
    public void scatterRows(Storage g, int rows, int cols, int[] index, Storage gx) {
        float[] a = HeapStorage.of(g);
        float[] r = HeapStorage.of(gx);
        for (int row = 0; row < rows; row++) {
            r[row * cols + index[row]] += a[row];
        }
    }

    @Override
    public void gather(Storage x, int outer, int nIn, int inner, int[] index, int nOut, Storage out) {
        float[] a = HeapStorage.of(x);
        float[] r = HeapStorage.of(out);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < nOut; j++) {
                for (int i = 0; i < inner; i++) {
                    int pos = (o * nOut + j) * inner + i;
                    r[pos] = a[(o * nIn + index[pos]) * inner + i];
                }
            }
        }
    }

    @Override
    public void gatherBackward(Storage g, int outer, int nIn, int inner, int[] index, int nOut, Storage gx) {
        float[] a = HeapStorage.of(g);
        float[] r = HeapStorage.of(gx);
        for (int o = 0; o < outer; o++) {
            for (int j = 0; j < nOut; j++) {
                for (int i = 0; i < inner; i++) {
                    int pos = (o * nOut + j) * inner + i;
                    r[(o * nIn + index[pos]) * inner + i] += a[pos];
                }
            }
        }
    }

    // ---- convolution ----------------------------------------------------------------------

    @Override
    public void conv2d(Conv2dShape s, Storage x, Storage w, Storage bias, Storage y) {
        float[] in = HeapStorage.of(x);
        float[] wt = HeapStorage.of(w);
        float[] b = bias == null ? null : HeapStorage.of(bias);
        float[] out = HeapStorage.of(y);
        int oh = s.outH(), ow = s.outW(), cig = s.cInPerGroup(), cog = s.cOutPerGroup();
        for (int n = 0; n < s.n(); n++) {
            for (int co = 0; co < s.cOut(); co++) {
                int g = co / cog;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = b == null ? 0 : b[co];
                        for (int ci = 0; ci < cig; ci++) {
                            int cin = g * cig + ci;
                            for (int ky = 0; ky < s.kh(); ky++) {
                                int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                                if (iy < 0 || iy >= s.h()) {
                                    continue;
                                }
                                for (int kx = 0; kx < s.kw(); kx++) {
                                    int ix = ox * s.strideW() - s.padW() + kx * s.dilationW();
                                    if (ix < 0 || ix >= s.w()) {
                                        continue;
                                    }
                                    acc += (double) in[((n * s.cIn() + cin) * s.h() + iy) * s.w() + ix]
                                            * wt[((co * cig + ci) * s.kh() + ky) * s.kw() + kx];
                                }
                            }
                        }
                        out[((n * s.cOut() + co) * oh + oy) * ow + ox] = (float) acc;
                    }
                }
            }
        }
    }

    @Override
    public void conv2dBackwardData(Conv2dShape s, Storage gy, Storage w, Storage gx) {
        float[] g = HeapStorage.of(gy);
        float[] wt = HeapStorage.of(w);
        float[] r = HeapStorage.of(gx);
        int oh = s.outH(), ow = s.outW(), cig = s.cInPerGroup(), cog = s.cOutPerGroup();
        double[] acc = new double[s.n() * s.cIn() * s.h() * s.w()];
        for (int n = 0; n < s.n(); n++) {
            for (int co = 0; co < s.cOut(); co++) {
                int grp = co / cog;
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double gv = g[((n * s.cOut() + co) * oh + oy) * ow + ox];
                        for (int ci = 0; ci < cig; ci++) {
                            int cin = grp * cig + ci;
                            for (int ky = 0; ky < s.kh(); ky++) {
                                int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                                if (iy < 0 || iy >= s.h()) {
                                    continue;
                                }
                                for (int kx = 0; kx < s.kw(); kx++) {
                                    int ix = ox * s.strideW() - s.padW() + kx * s.dilationW();
                                    if (ix < 0 || ix >= s.w()) {
                                        continue;
                                    }
                                    acc[((n * s.cIn() + cin) * s.h() + iy) * s.w() + ix]
                                            += gv * wt[((co * cig + ci) * s.kh() + ky) * s.kw() + kx];
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int i = 0; i < acc.length; i++) {
            r[i] = (float) acc[i];
        }
    }

    @Override
    public void conv2dBackwardWeight(Conv2dShape s, Storage x, Storage gy, Storage gw) {
        float[] in = HeapStorage.of(x);
        float[] g = HeapStorage.of(gy);
        float[] r = HeapStorage.of(gw);
        int oh = s.outH(), ow = s.outW(), cig = s.cInPerGroup(), cog = s.cOutPerGroup();
        for (int co = 0; co < s.cOut(); co++) {
            int grp = co / cog;
            for (int ci = 0; ci < cig; ci++) {
                int cin = grp * cig + ci;
                for (int ky = 0; ky < s.kh(); ky++) {
                    for (int kx = 0; kx < s.kw(); kx++) {
                        double acc = 0;
                        for (int n = 0; n < s.n(); n++) {
                            for (int oy = 0; oy < oh; oy++) {
                                int iy = oy * s.strideH() - s.padH() + ky * s.dilationH();
                                if (iy < 0 || iy >= s.h()) {
                                    continue;
                                }
                                for (int ox = 0; ox < ow; ox++) {
                                    int ix = ox * s.strideW() - s.padW() + kx * s.dilationW();
                                    if (ix < 0 || ix >= s.w()) {
                                        continue;
                                    }
                                    acc += (double) g[((n * s.cOut() + co) * oh + oy) * ow + ox]
                                            * in[((n * s.cIn() + cin) * s.h() + iy) * s.w() + ix];
                                }
                            }
                        }
                        r[((co * cig + ci) * s.kh() + ky) * s.kw() + kx] = (float) acc;
                    }
                }
            }
        }
    }

    // ---- pooling --------------------------------------------------------------------------

    @Override
    public void maxPool2d(Pool2dShape s, Storage x, Storage y) {
        float[] in = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        int oh = s.outH(), ow = s.outW();
        for (int p = 0; p < s.planes(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    out[(p * oh + oy) * ow + ox] = in[maxIndex(s, in, p, oy, ox)];
                }
            }
        }
    }

    /** Flat input index of the first maximum (NaN wins) in one pooling window. */
    static int maxIndex(Pool2dShape s, float[] in, int p, int oy, int ox) {
        int best = -1;
        for (int ky = 0; ky < s.kh(); ky++) {
            int iy = oy * s.strideH() - s.padH() + ky;
            if (iy < 0 || iy >= s.h()) {
                continue;
            }
            for (int kx = 0; kx < s.kw(); kx++) {
                int ix = ox * s.strideW() - s.padW() + kx;
                if (ix < 0 || ix >= s.w()) {
                    continue;
                }
                int i = (p * s.h() + iy) * s.w() + ix;
                if (best < 0 || in[i] > in[best] || (Float.isNaN(in[i]) && !Float.isNaN(in[best]))) {
                    best = i;
                }
            }
        }
        return best;
    }

    @Override
    public void maxPool2dBackward(Pool2dShape s, Storage x, Storage gy, Storage gx) {
        float[] in = HeapStorage.of(x);
        float[] g = HeapStorage.of(gy);
        float[] r = HeapStorage.of(gx);
        Arrays.fill(r, 0, s.planes() * s.h() * s.w(), 0f);
        int oh = s.outH(), ow = s.outW();
        for (int p = 0; p < s.planes(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    r[maxIndex(s, in, p, oy, ox)] += g[(p * oh + oy) * ow + ox];
                }
            }
        }
    }

    @Override
    public void avgPool2d(Pool2dShape s, Storage x, Storage y) {
        float[] in = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        int oh = s.outH(), ow = s.outW();
        for (int p = 0; p < s.planes(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    double acc = 0;
                    for (int ky = 0; ky < s.kh(); ky++) {
                        int iy = oy * s.strideH() - s.padH() + ky;
                        for (int kx = 0; kx < s.kw(); kx++) {
                            int ix = ox * s.strideW() - s.padW() + kx;
                            if (iy >= 0 && iy < s.h() && ix >= 0 && ix < s.w()) {
                                acc += in[(p * s.h() + iy) * s.w() + ix];
                            }
                        }
                    }
                    out[(p * oh + oy) * ow + ox] = (float) (acc / avgDivisor(s, oy, ox));
                }
            }
        }
    }

    /** PyTorch's count_include_pad=True divisor: the window clipped to the padded input. */
    static int avgDivisor(Pool2dShape s, int oy, int ox) {
        int y0 = oy * s.strideH() - s.padH();
        int x0 = ox * s.strideW() - s.padW();
        int y1 = Math.min(y0 + s.kh(), s.h() + s.padH());
        int x1 = Math.min(x0 + s.kw(), s.w() + s.padW());
        return (y1 - y0) * (x1 - x0);
    }

    @Override
    public void avgPool2dBackward(Pool2dShape s, Storage gy, Storage gx) {
        float[] g = HeapStorage.of(gy);
        float[] r = HeapStorage.of(gx);
        Arrays.fill(r, 0, s.planes() * s.h() * s.w(), 0f);
        int oh = s.outH(), ow = s.outW();
        for (int p = 0; p < s.planes(); p++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    float share = g[(p * oh + oy) * ow + ox] / avgDivisor(s, oy, ox);
                    for (int ky = 0; ky < s.kh(); ky++) {
                        int iy = oy * s.strideH() - s.padH() + ky;
                        for (int kx = 0; kx < s.kw(); kx++) {
                            int ix = ox * s.strideW() - s.padW() + kx;
                            if (iy >= 0 && iy < s.h() && ix >= 0 && ix < s.w()) {
                                r[(p * s.h() + iy) * s.w() + ix] += share;
                            }
                        }
                    }
                }
            }
        }
    }

    // ---- batch normalisation --------------------------------------------------------------

    @Override
    public void batchNormTrain(Storage x, int n, int c, int hw, Storage gamma, Storage beta, float eps,
                               Storage y, Storage mean, Storage var, Storage invStd) {
        float[] in = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        float[] g = gamma == null ? null : HeapStorage.of(gamma);
        float[] b = beta == null ? null : HeapStorage.of(beta);
        float[] m = HeapStorage.of(mean);
        float[] v = HeapStorage.of(var);
        float[] is = HeapStorage.of(invStd);
        double count = (double) n * hw;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            for (int b0 = 0; b0 < n; b0++) {
                for (int i = 0; i < hw; i++) {
                    sum += in[(b0 * c + ch) * hw + i];
                }
            }
            double mu = sum / count;
            double sq = 0;
            for (int b0 = 0; b0 < n; b0++) {
                for (int i = 0; i < hw; i++) {
                    double d = in[(b0 * c + ch) * hw + i] - mu;
                    sq += d * d;
                }
            }
            double biasedVar = sq / count;
            double inv = 1.0 / Math.sqrt(biasedVar + eps);
            m[ch] = (float) mu;
            v[ch] = (float) biasedVar;
            is[ch] = (float) inv;
            double scale = (g == null ? 1.0 : g[ch]) * inv;
            double shift = (b == null ? 0.0 : b[ch]) - mu * scale;
            for (int b0 = 0; b0 < n; b0++) {
                for (int i = 0; i < hw; i++) {
                    int k = (b0 * c + ch) * hw + i;
                    out[k] = (float) (in[k] * scale + shift);
                }
            }
        }
    }

    @Override
    public void batchNormEval(Storage x, int n, int c, int hw, Storage mean, Storage var,
                              Storage gamma, Storage beta, float eps, Storage y) {
        float[] in = HeapStorage.of(x);
        float[] out = HeapStorage.of(y);
        float[] m = HeapStorage.of(mean);
        float[] v = HeapStorage.of(var);
        float[] g = gamma == null ? null : HeapStorage.of(gamma);
        float[] b = beta == null ? null : HeapStorage.of(beta);
        for (int ch = 0; ch < c; ch++) {
            double inv = 1.0 / Math.sqrt((double) v[ch] + eps);
            double scale = (g == null ? 1.0 : g[ch]) * inv;
            double shift = (b == null ? 0.0 : b[ch]) - m[ch] * scale;
            for (int b0 = 0; b0 < n; b0++) {
                for (int i = 0; i < hw; i++) {
                    int k = (b0 * c + ch) * hw + i;
                    out[k] = (float) (in[k] * scale + shift);
                }
            }
        }
    }

    @Override
    public void batchNormBackward(Storage x, Storage gy, int n, int c, int hw, Storage gamma,
                                  Storage mean, Storage invStd, Storage gx, Storage gGamma, Storage gBeta) {
        float[] in = HeapStorage.of(x);
        float[] g = HeapStorage.of(gy);
        float[] gm = gamma == null ? null : HeapStorage.of(gamma);
        float[] m = HeapStorage.of(mean);
        float[] is = HeapStorage.of(invStd);
        float[] rx = gx == null ? null : HeapStorage.of(gx);
        float[] rg = gGamma == null ? null : HeapStorage.of(gGamma);
        float[] rb = gBeta == null ? null : HeapStorage.of(gBeta);
        double count = (double) n * hw;
        for (int ch = 0; ch < c; ch++) {
            double sumG = 0, sumGXhat = 0;
            for (int b0 = 0; b0 < n; b0++) {
                for (int i = 0; i < hw; i++) {
                    int k = (b0 * c + ch) * hw + i;
                    double xhat = (in[k] - m[ch]) * (double) is[ch];
                    sumG += g[k];
                    sumGXhat += g[k] * xhat;
                }
            }
            if (rg != null) {
                rg[ch] = (float) sumGXhat;
            }
            if (rb != null) {
                rb[ch] = (float) sumG;
            }
            if (rx != null) {
                double scale = (gm == null ? 1.0 : gm[ch]) * is[ch];
                for (int b0 = 0; b0 < n; b0++) {
                    for (int i = 0; i < hw; i++) {
                        int k = (b0 * c + ch) * hw + i;
                        double xhat = (in[k] - m[ch]) * (double) is[ch];
                        rx[k] = (float) (scale * (g[k] - sumG / count - xhat * sumGXhat / count));
                    }
                }
            }
        }
    }

    // ---- fake quantization ----------------------------------------------------------------

    @Override
    public BitMask allocateMask(int size) {
        return new HeapBitMask(size);
    }

    @Override
    public void fakeQuantize(FakeQuantShape s, Storage x, Storage scale, Storage offset, Storage y, BitMask mask) {
        float[] in = HeapStorage.of(x);
        float[] st = HeapStorage.of(scale);
        float[] off = offset == null ? null : HeapStorage.of(offset);
        float[] out = HeapStorage.of(y);
        HeapBitMask m = (HeapBitMask) mask;
        java.util.Arrays.fill(m.words(), 0L);
        for (int o = 0; o < s.outer(); o++) {
            for (int c = 0; c < s.channels(); c++) {
                float step = st[c];
                float beta = off == null ? 0f : off[c];
                for (int i = 0; i < s.inner(); i++) {
                    int k = (o * s.channels() + c) * s.inner() + i;
                    float v = (in[k] - beta) / step;
                    boolean inside = v >= s.qmin() && v <= s.qmax();
                    float q = (float) Math.rint(Math.min(Math.max(v, s.qmin()), s.qmax()));
                    out[k] = q * step + beta;
                    if (inside) {
                        m.words()[k >>> 6] |= 1L << (k & 63);
                    }
                }
            }
        }
    }

    @Override
    public void fakeQuantizeBackward(FakeQuantShape s, Storage x, Storage gy, Storage scale, Storage offset, BitMask mask,
                                     Storage gx, Storage gScale, Storage gOffset) {
        float[] in = HeapStorage.of(x);
        float[] g = HeapStorage.of(gy);
        float[] st = HeapStorage.of(scale);
        float[] off = offset == null ? null : HeapStorage.of(offset);
        float[] rx = gx == null ? null : HeapStorage.of(gx);
        double[] sumScale = new double[s.channels()];
        double[] sumOffset = new double[s.channels()];
        for (int o = 0; o < s.outer(); o++) {
            for (int c = 0; c < s.channels(); c++) {
                float step = st[c];
                float beta = off == null ? 0f : off[c];
                for (int i = 0; i < s.inner(); i++) {
                    int k = (o * s.channels() + c) * s.inner() + i;
                    boolean inside = mask.get(k);
                    if (rx != null) {
                        rx[k] = inside ? g[k] : 0f;
                    }
                    float v = (in[k] - beta) / step;
                    if (inside) {
                        if (s.stepGradInside()) {
                            sumScale[c] += (double) g[k] * ((float) Math.rint(v) - v);
                        }
                    } else {
                        sumScale[c] += (double) g[k] * (v < s.qmin() ? s.qmin() : s.qmax());
                        sumOffset[c] += g[k];
                    }
                }
            }
        }
        for (int c = 0; c < s.channels(); c++) {
            if (gScale != null) {
                HeapStorage.of(gScale)[c] = (float) (sumScale[c] * s.gradScale());
            }
            if (gOffset != null) {
                HeapStorage.of(gOffset)[c] = (float) (sumOffset[c] * s.gradScale());
            }
        }
    }

    // ---- index helpers --------------------------------------------------------------------

    static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    static int dot(int[] idx, int[] strides) {
        int off = 0;
        for (int d = 0; d < idx.length; d++) {
            off += idx[d] * strides[d];
        }
        return off;
    }

    /** Advances a row-major multi-index by one. */
    static void increment(int[] idx, int[] shape) {
        for (int d = idx.length - 1; d >= 0; d--) {
            if (++idx[d] < shape[d]) {
                return;
            }
            idx[d] = 0;
        }
    }
}
