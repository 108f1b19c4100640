package org.jqat.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.jqat.core.backend.BinaryOp;
import org.jqat.core.backend.ReferenceBackend;
import org.jqat.core.backend.UnaryOp;

/**
 * Vectorized elementwise kernels. Every vector op here performs the same IEEE operations in the
 * same order as {@link ReferenceBackend}'s scalar definition (no FMA contraction, division kept
 * as division), so results are bit-identical; transcendentals use scalar {@code Math} for the
 * same reason. Large arrays are split into fixed chunks across the pool.
 */
final class ElementwiseKernels {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    static final int GRAIN = 1 << 15;
    // One species only, here as in every kernel: rows shorter than a vector (8 values under 16
    // lanes) go value by value rather than through a 256-bit species. A second species makes the
    // Vector API's shared templates (rearrange, blend) see two vector classes, and the JIT then
    // left other kernels' two-vector rearranges (Winograd's output transform) to the Java fallback
    // in about half the JVMs of a block-replacement run (3% of its samples).

    private ElementwiseKernels() {
    }

    /** dst[dOff+i] += src[sOff+i] for i in [0, n). */
    static void addInto(float[] src, int sOff, float[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, dst, dOff + i).add(FloatVector.fromArray(S, src, sOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            dst[dOff + i] += src[sOff + i];
        }
    }

    /**
     * A convolution's epilogue on one output row: {@code y[yOff+i] = relu?(src[sOff+i] + bias +
     * residual[rOff+i])} for i in [0, n), in that order of operations (the unfused kernels' order);
     * residual may be null.
     */
    static void biasResidualRelu(float[] src, int sOff, float bias, float[] residual, int rOff, boolean relu, float[] y,
                                 int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, src, sOff + i).add(bias);
            if (residual != null) {
                v = v.add(FloatVector.fromArray(S, residual, rOff + i));
            }
            if (relu) {
                v = FloatVector.zero(S).blend(v, v.compare(VectorOperators.GT, 0f)); // as the RELU op: NaN and -0 give 0
            }
            v.intoArray(y, yOff + i);
        }
        // Rows can be short (8 values on CIFAR's last stage): the tail runs masked rather than
        // scalar, where a data-dependent ReLU branch would mispredict on every other value. Whole
        // vectors stay unmasked: masking every one cost the inference epilogue a third of its time.
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(S, src, sOff + i, m).add(bias);
            if (residual != null) {
                v = v.add(FloatVector.fromArray(S, residual, rOff + i, m));
            }
            if (relu) {
                v = FloatVector.zero(S).blend(v, v.compare(VectorOperators.GT, 0f));
            }
            v.intoArray(y, yOff + i, m);
        }
    }

    /**
     * Two-vector shuffles (index ≥ L: the second vector) picking the even and the odd lanes of two
     * vectors laid end to end. {@code rearrange} with a shuffle runs at the speed of a vector add;
     * {@code selectFrom} with a float index vector converts the index vector on every call (2.1
     * against 1.2 ns per pair; rows of 32 values split at 9.0 ns with it, measured on Zen 5).
     */
    static final VectorShuffle<Float> EVEN_LANES = parityLanes(0), ODD_LANES = parityLanes(1);
    /** Lanes {@code from + i/2} of the first vector at even i, of the second at odd i: the halves of an interleaving. */
    static final VectorShuffle<Float> ZIP_LO = zip(0), ZIP_HI = zip(L / 2);

    private static VectorShuffle<Float> zip(int from) {
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) {
            idx[i] = from + i / 2 + (i % 2) * L;
        }
        return VectorShuffle.fromArray(S, idx, 0);
    }

    private static VectorShuffle<Float> parityLanes(int parity) {
        int[] idx = new int[L];
        for (int i = 0; i < L; i++) {
            idx[i] = 2 * i + parity;
        }
        return VectorShuffle.fromArray(S, idx, 0);
    }

    /**
     * {@code dst[dOff + j] = src[sOff + j·stride]} for j in [0, n): the subsampled rows of strided
     * inputs. Stride 2 loads two vectors and keeps their even lanes (one two-vector permute); other
     * strides copy one by one.
     */
    static void gatherStrided(float[] src, int sOff, int stride, float[] dst, int dOff, int n) {
        int j = 0;
        if (stride == 2) {
            // a vector reads 2L source values: stay inside the array when the row ends at its end
            int bound = Math.min(S.loopBound(n), (src.length - sOff) / 2 - L + 1);
            for (; j < bound; j += L) {
                FloatVector lo = FloatVector.fromArray(S, src, sOff + 2 * j);
                FloatVector hi = FloatVector.fromArray(S, src, sOff + 2 * j + L);
                lo.rearrange(EVEN_LANES, hi).intoArray(dst, dOff + j);
            }
        }
        for (; j < n; j++) {
            dst[dOff + j] = src[sOff + j * stride];
        }
    }

    /**
     * Splits {@code src[sOff, sOff + 2n)} by parity: {@code even[eOff + j] = src[sOff + 2j]} and
     * {@code odd[oOff + j] = src[sOff + 2j + 1]} for j in [0, n). One input row gives both column
     * phases of a stride-2 layer's planes: two loads and two permutes per 2L values, where
     * {@link #gatherStrided} per phase read each row twice.
     */
    static void deinterleave(float[] src, int sOff, int n, float[] even, int eOff, float[] odd, int oOff) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector lo = FloatVector.fromArray(S, src, sOff + 2 * j);
            FloatVector hi = FloatVector.fromArray(S, src, sOff + 2 * j + L);
            lo.rearrange(EVEN_LANES, hi).intoArray(even, eOff + j);
            lo.rearrange(ODD_LANES, hi).intoArray(odd, oOff + j);
        }
        for (; j < n; j++) {
            even[eOff + j] = src[sOff + 2 * j];
            odd[oOff + j] = src[sOff + 2 * j + 1];
        }
    }

    /**
     * The inverse of {@link #deinterleave}: {@code dst[dOff + 2j] = even[eOff + j]} and
     * {@code dst[dOff + 2j + 1] = odd[oOff + j]} for j in [0, n). A stride-2 layer's data gradient
     * computes its two column phases apart and writes each input row from both at once.
     */
    static void interleave(float[] even, int eOff, float[] odd, int oOff, int n, float[] dst, int dOff) {
        int j = 0;
        for (int bound = S.loopBound(n); j < bound; j += L) {
            FloatVector a = FloatVector.fromArray(S, even, eOff + j);
            FloatVector b = FloatVector.fromArray(S, odd, oOff + j);
            a.rearrange(ZIP_LO, b).intoArray(dst, dOff + 2 * j);
            a.rearrange(ZIP_HI, b).intoArray(dst, dOff + 2 * j + L);
        }
        for (; j < n; j++) {
            dst[dOff + 2 * j] = even[eOff + j];
            dst[dOff + 2 * j + 1] = odd[oOff + j];
        }
    }

    /**
     * {@code dst[dOff + i] = src[sOff + i]} for i in [0, n): a row of a convolution's padded
     * planes. Rows are short (8 to 56 values on ResNet maps), where {@code System.arraycopy}
     * pays its stub call and length dispatch on every row.
     */
    static void copyRow(float[] src, int sOff, float[] dst, int dOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, src, sOff + i).intoArray(dst, dOff + i);
        }
        if (n - i >= 8) { // the 8-value rows of 8-wide maps: faster than value by value (2.3 against 3.3 µs per image)
            System.arraycopy(src, sOff + i, dst, dOff + i, n - i);
            return;
        }
        for (; i < n; i++) {
            dst[dOff + i] = src[sOff + i];
        }
    }

    /** y[yOff+i] += a·x[xOff+i] for i in [0, n) (multiply then add, as the scalar loops). */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        for (int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector.fromArray(S, x, xOff + i).mul(a).add(FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += a * x[xOff + i];
        }
    }

    static void unary(UnaryOp op, float[] x, float[] y, int n) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> unaryRange(op, x, y, lo, hi));
    }

    private static void unaryRange(UnaryOp op, float[] x, float[] y, int lo, int hi) {
        int i = lo;
        boolean vector = switch (op) {
            case NEG, ABS, SQRT, RELU, SQUARE, RECIPROCAL -> true;
            default -> false;   // exp/log/tanh/sigmoid/rint: scalar Math keeps results identical to the oracle
        };
        if (vector) {
            FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
            for (int bound = lo + S.loopBound(hi - lo); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, i);
                FloatVector r = switch (op) {
                    case NEG -> v.neg();
                    case ABS -> v.abs();
                    case SQRT -> v.sqrt();
                    case RELU -> zero.blend(v, v.compare(VectorOperators.GT, 0f));
                    case SQUARE -> v.mul(v);
                    case RECIPROCAL -> one.div(v);
                    default -> throw new AssertionError(op);
                };
                r.intoArray(y, i);
            }
        }
        for (; i < hi; i++) {
            y[i] = ReferenceBackend.apply(op, x[i]);
        }
    }

    static void unaryBackward(UnaryOp op, float[] x, float[] y, float[] gy, float[] gx, int n) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> unaryBackwardRange(op, x, y, gy, gx, lo, hi));
    }

    private static void unaryBackwardRange(UnaryOp op, float[] x, float[] y, float[] gy, float[] gx, int lo, int hi) {
        int i = lo;
        if (op != UnaryOp.ABS) {
            FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
            for (int bound = lo + S.loopBound(hi - lo); i < bound; i += L) {
                FloatVector g = FloatVector.fromArray(S, gy, i);
                FloatVector d = switch (op) {
                    case NEG -> FloatVector.broadcast(S, -1f);
                    case EXP -> FloatVector.fromArray(S, y, i);
                    case LOG -> one.div(FloatVector.fromArray(S, x, i));
                    case SQRT -> FloatVector.broadcast(S, 0.5f).div(FloatVector.fromArray(S, y, i));
                    case TANH -> {
                        FloatVector o = FloatVector.fromArray(S, y, i);
                        yield one.sub(o.mul(o));
                    }
                    case SIGMOID -> {
                        FloatVector o = FloatVector.fromArray(S, y, i);
                        yield o.mul(one.sub(o));
                    }
                    case RELU -> zero.blend(one, FloatVector.fromArray(S, x, i).compare(VectorOperators.GT, 0f));
                    case ROUND -> zero;
                    case SQUARE -> FloatVector.broadcast(S, 2f).mul(FloatVector.fromArray(S, x, i));
                    case RECIPROCAL -> {
                        FloatVector o = FloatVector.fromArray(S, y, i);
                        yield o.neg().mul(o);
                    }
                    case ABS -> throw new AssertionError(op);
                };
                g.mul(d).intoArray(gx, i);
            }
        }
        for (; i < hi; i++) {
            float v = x[i];
            float d = switch (op) {
                case NEG -> -1f;
                case ABS -> Math.signum(v);
                case EXP -> y[i];
                case LOG -> 1f / v;
                case SQRT -> 0.5f / y[i];
                case TANH -> 1f - y[i] * y[i];
                case SIGMOID -> y[i] * (1f - y[i]);
                case RELU -> v > 0 ? 1f : 0f;
                case ROUND -> 0f;
                case SQUARE -> 2f * v;
                case RECIPROCAL -> -y[i] * y[i];
            };
            gx[i] = gy[i] * d;
        }
    }

    static void affine(float[] x, float[] y, int n, float scale, float shift) {
        Parallel.forRange(n, GRAIN, (lo, hi) -> {
            int i = lo;
            for (int bound = lo + S.loopBound(hi - lo); i < bound; i += L) {
                FloatVector.fromArray(S, x, i).mul(scale).add(shift).intoArray(y, i);
            }
            for (; i < hi; i++) {
                y[i] = x[i] * scale + shift;
            }
        });
    }

    static void clamp(float[] x, float[] y, int n, float lo, float hi) {
        Parallel.forRange(n, GRAIN, (a, b) -> {
            int i = a;
            for (int bound = a + S.loopBound(b - a); i < bound; i += L) {
                FloatVector.fromArray(S, x, i).max(lo).min(hi).intoArray(y, i);
            }
            for (; i < b; i++) {
                y[i] = Math.min(Math.max(x[i], lo), hi);
            }
        });
    }

    static void clampBackward(float[] x, float[] gy, float[] gx, int n, float lo, float hi) {
        Parallel.forRange(n, GRAIN, (a, b) -> {
            int i = a;
            FloatVector zero = FloatVector.zero(S);
            for (int bound = a + S.loopBound(b - a); i < bound; i += L) {
                FloatVector v = FloatVector.fromArray(S, x, i);
                VectorMask<Float> in = v.compare(VectorOperators.GE, lo).and(v.compare(VectorOperators.LE, hi));
                zero.blend(FloatVector.fromArray(S, gy, i), in).intoArray(gx, i);
            }
            for (; i < b; i++) {
                gx[i] = x[i] >= lo && x[i] <= hi ? gy[i] : 0f;
            }
        });
    }

    /** Whether {@code op} has a lanewise vector form identical to its scalar definition. */
    static boolean vectorizable(BinaryOp op) {
        return switch (op) {
            case ADD, SUB, MUL, DIV, MAX, MIN -> true;
            default -> false;
        };
    }

    private static FloatVector apply(BinaryOp op, FloatVector u, FloatVector v) {
        return switch (op) {
            case ADD -> u.add(v);
            case SUB -> u.sub(v);
            case MUL -> u.mul(v);
            case DIV -> u.div(v);
            case MAX -> u.max(v);
            case MIN -> u.min(v);
            default -> throw new AssertionError(op);
        };
    }

    /**
     * One output row: z[zOff+i] = op(x[xOff+i·xs], y[yOff+i·ys]). Contiguous/broadcast stride
     * pairs (1,1), (1,0), (0,1) take vector loops; anything else is scalar.
     */
    static void binaryRow(BinaryOp op, float[] x, int xOff, int xs, float[] y, int yOff, int ys,
                          float[] z, int zOff, int n) {
        int i = 0;
        if (vectorizable(op) && (xs == 1 || xs == 0) && (ys == 1 || ys == 0)) {
            int bound = S.loopBound(n);
            if (xs == 1 && ys == 1) {
                for (; i < bound; i += L) {
                    apply(op, FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i)).intoArray(z, zOff + i);
                }
            } else if (xs == 1) {
                FloatVector v = FloatVector.broadcast(S, y[yOff]);
                for (; i < bound; i += L) {
                    apply(op, FloatVector.fromArray(S, x, xOff + i), v).intoArray(z, zOff + i);
                }
            } else if (ys == 1) {
                FloatVector u = FloatVector.broadcast(S, x[xOff]);
                for (; i < bound; i += L) {
                    apply(op, u, FloatVector.fromArray(S, y, yOff + i)).intoArray(z, zOff + i);
                }
            } else {
                float r = ReferenceBackend.apply(op, x[xOff], y[yOff]);
                java.util.Arrays.fill(z, zOff, zOff + n, r);
                return;
            }
        }
        for (; i < n; i++) {
            z[zOff + i] = ReferenceBackend.apply(op, x[xOff + i * xs], y[yOff + i * ys]);
        }
    }
}
