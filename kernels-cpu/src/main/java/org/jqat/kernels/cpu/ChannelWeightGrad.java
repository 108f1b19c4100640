package org.jqat.kernels.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.jqat.core.backend.Conv2dShape;

/**
 * The weight gradient of a {@link DirectConv} layer vectorized over output channels, for layers
 * with many output channels on small maps (CIFAR's 8×8 stage, ImageNet's deeper stages).
 *
 * <p>{@code gw[co][k] = Σ_positions gy[co][q] · planes[q + offset[k]]}. {@link DirectConv}'s own
 * kernel keeps positions in the vector lanes, which on an 8-wide map wastes the two padded
 * columns of every 10 and holds {@code cOut × taps × lanes} partial sums. Here each tile keeps
 * {@link #CC} output channels × {@link #KT} taps in registers: per position it loads four
 * vectors of the output gradient (transposed once per chunk of images to position-major, block
 * by block of a tile's channels: {@code [block][position][CC]}) and broadcasts six input values,
 * 24 FMAs for 10 loads, over valid positions only. The partial sums are the gradient itself
 * ({@code taps × cOut} floats). Positions exactly a tile's channels apart (a constant stride)
 * let C2 compile the position loop better: 159–166 against 143–150 GFLOPS for the 64-channel tile
 * on one Zen 5 core, where the stride was cOut.
 *
 * <p>The batch is cut into {@link BatchSlices}, each accumulating into its own partial, added in
 * slice order.
 */
final class ChannelWeightGrad {
    private static final VectorSpecies<Float> S = VectorConfig.F;
    private static final int L = VectorConfig.LANES;
    /** Output channels per tile: four vectors. */
    static final int CC = 4 * L;
    /** Taps per tile. */
    static final int KT = 6;
    /** Output channels and taps per tile of the narrow variant, for layers of 2 vectors' worth of channels. */
    static final int CC_NARROW = 2 * L, KT_NARROW = 12;
    /** Scratch slots, shared with {@link DirectConv}'s weight gradient (never live at once). */
    private static final int PLANES = 1, GRAD = 3, ACC = 4;
    /**
     * Output positions per chunk of images: the chunk's transposed gradient (positions × cOut)
     * should stay in L1 while every tap block reads it (64 channels: 32 KiB at 128 positions).
     */
    private static final int CHUNK_POSITIONS = 128;

    private ChannelWeightGrad() {
    }

    /**
     * The tiles hold 24 accumulators and 5–6 operands: they need the 32 vector registers of
     * AVX-512 (the preferred species is 512 bits wide), under AVX2's 16 they would spill.
     */
    private static final boolean REGISTERS = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    /**
     * The layers this kernel runs: one group, output channels in whole tiles (of the narrow
     * variant at least), on a machine with the registers for it. Measured against
     * {@link DirectConv#backwardWeightPositions} (batch 128, 2 threads, Zen 5): 64→64 on 8×8
     * 4.38 → 2.10 ms, 32→64 stride 2 on 16×16 3.22 → 1.86 ms, 32→32 on 16×16 2.97 → 2.45 ms.
     */
    static boolean applies(Conv2dShape s) {
        return REGISTERS && s.groups() == 1 && s.cOut() % CC_NARROW == 0;
    }

    /** The weight gradient against the input fake-quantized by q (null: the input as it is). */
    static void backwardWeight(Conv2dShape s, float[] x, float[] gy, float[] gw, DirectConv.InputQuant q) {
        int size = s.weightSize();
        if (s.n() == 0) {
            Arrays.fill(gw, 0, size, 0f);
            return;
        }
        // Padded planes of the whole input even for strided layers: the tiles read single values
        // (no contiguous windows needed), and a stride-1 layout is a row copy where phase planes
        // gather every other value.
        DirectConv.Planes p = DirectConv.Planes.of(new Conv2dShape(s.n(), s.cIn(), s.h(), s.w(), s.cOut(), s.kh(), s.kw(),
                1, 1, s.padH(), s.padW(), s.dilationH(), s.dilationW(), 1));
        boolean wide = s.cOut() % CC == 0;
        int kt = wide ? KT : KT_NARROW, cc = wide ? CC : CC_NARROW;
        int taps = p.offsets().length, tapsP = DirectConv.roundUp(taps, kt);
        int[] offsets = Arrays.copyOf(p.offsets(), tapsP); // padding taps read offset 0, results dropped
        int cout = s.cOut(), oh = s.outH(), ow = s.outW(), ohw = oh * ow, hw = s.h() * s.w(), wq = p.wq();
        int chunk = Math.max(1, Math.min(s.n(), CHUNK_POSITIONS / ohw));
        int planesSize = chunk * p.imageSize();
        int[] base = new int[chunk * ohw]; // planes index of each position of a chunk (tap offset 0)
        for (int i = 0, k = 0; i < chunk; i++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    base[k++] = i * p.imageSize() + oy * s.strideH() * wq + ox * s.strideW();
                }
            }
        }
        BatchSlices.sum(s.n(), ohw, BatchSlices.MIN_POSITIONS, size, gw, (lo, hi, out, outOff) -> {
            float[] planes = Scratch.get(PLANES, planesSize);
            float[] grad = Scratch.get(GRAD, chunk * ohw * cout);
            float[] acc = Scratch.get(ACC, tapsP * cout); // [tap][co]
            Arrays.fill(planes, 0, planesSize, 0f);
            Arrays.fill(acc, 0, tapsP * cout, 0f);
            for (int n0 = lo; n0 < hi; n0 += chunk) {
                int imgs = Math.min(chunk, hi - n0);
                for (int i = 0; i < imgs; i++) {
                    int n = n0 + i;
                    // zeroed above, and every image slot keeps this geometry: only values change
                    p.build(x, n * s.cIn() * hw, planes, i * p.imageSize(), q, true);
                    for (int co0 = 0; co0 < cout; co0 += cc) {
                        Transpose.transpose(gy, (n * cout + co0) * ohw, cc, ohw, grad, (co0 * chunk + i * cc) * ohw);
                    }
                }
                int positions = imgs * ohw;
                // a block of channels stays in L1 while every tap block reads it
                for (int co0 = 0; co0 < cout; co0 += cc) {
                    int g = co0 * chunk * ohw;
                    for (int t0 = 0; t0 < tapsP; t0 += kt) {
                        if (wide) {
                            tile(grad, g, cout, co0, positions, base, planes, offsets, t0, acc);
                        } else {
                            tileNarrow(grad, g, cout, co0, positions, base, planes, offsets, t0, acc);
                        }
                    }
                }
            }
            Transpose.transpose(acc, 0, taps, cout, out, outOff); // [tap][co] -> [co][tap], the padding taps dropped
        });
    }

    /**
     * Adds, over positions {@code j < positions}, {@code grad[gOff + j·CC + c] · planes[base[j] + offsets[t0 + k]]}
     * into {@code acc[(t0 + k)·ldg + co0 + c]} for CC channels c and KT taps k.
     */
    static void tile(float[] grad, int gOff, int ldg, int co0, int positions, int[] base, float[] planes, int[] offsets, int t0,
                     float[] acc) {
        int a0 = t0 * ldg + co0, a1 = a0 + ldg, a2 = a1 + ldg, a3 = a2 + ldg, a4 = a3 + ldg, a5 = a4 + ldg;
        FloatVector c00 = FloatVector.fromArray(S, acc, a0), c01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector c02 = FloatVector.fromArray(S, acc, a0 + 2 * L), c03 = FloatVector.fromArray(S, acc, a0 + 3 * L);
        FloatVector c10 = FloatVector.fromArray(S, acc, a1), c11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector c12 = FloatVector.fromArray(S, acc, a1 + 2 * L), c13 = FloatVector.fromArray(S, acc, a1 + 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, acc, a2), c21 = FloatVector.fromArray(S, acc, a2 + L);
        FloatVector c22 = FloatVector.fromArray(S, acc, a2 + 2 * L), c23 = FloatVector.fromArray(S, acc, a2 + 3 * L);
        FloatVector c30 = FloatVector.fromArray(S, acc, a3), c31 = FloatVector.fromArray(S, acc, a3 + L);
        FloatVector c32 = FloatVector.fromArray(S, acc, a3 + 2 * L), c33 = FloatVector.fromArray(S, acc, a3 + 3 * L);
        FloatVector c40 = FloatVector.fromArray(S, acc, a4), c41 = FloatVector.fromArray(S, acc, a4 + L);
        FloatVector c42 = FloatVector.fromArray(S, acc, a4 + 2 * L), c43 = FloatVector.fromArray(S, acc, a4 + 3 * L);
        FloatVector c50 = FloatVector.fromArray(S, acc, a5), c51 = FloatVector.fromArray(S, acc, a5 + L);
        FloatVector c52 = FloatVector.fromArray(S, acc, a5 + 2 * L), c53 = FloatVector.fromArray(S, acc, a5 + 3 * L);
        int o0 = offsets[t0], o1 = offsets[t0 + 1], o2 = offsets[t0 + 2];
        int o3 = offsets[t0 + 3], o4 = offsets[t0 + 4], o5 = offsets[t0 + 5];
        for (int j = 0; j < positions; j++) {
            int g = gOff + j * CC, pb = base[j];
            FloatVector w0 = FloatVector.fromArray(S, grad, g), w1 = FloatVector.fromArray(S, grad, g + L);
            FloatVector w2 = FloatVector.fromArray(S, grad, g + 2 * L), w3 = FloatVector.fromArray(S, grad, g + 3 * L);
            FloatVector v = FloatVector.broadcast(S, planes[pb + o0]);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            c02 = w2.fma(v, c02);
            c03 = w3.fma(v, c03);
            v = FloatVector.broadcast(S, planes[pb + o1]);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            c12 = w2.fma(v, c12);
            c13 = w3.fma(v, c13);
            v = FloatVector.broadcast(S, planes[pb + o2]);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            c22 = w2.fma(v, c22);
            c23 = w3.fma(v, c23);
            v = FloatVector.broadcast(S, planes[pb + o3]);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            c32 = w2.fma(v, c32);
            c33 = w3.fma(v, c33);
            v = FloatVector.broadcast(S, planes[pb + o4]);
            c40 = w0.fma(v, c40);
            c41 = w1.fma(v, c41);
            c42 = w2.fma(v, c42);
            c43 = w3.fma(v, c43);
            v = FloatVector.broadcast(S, planes[pb + o5]);
            c50 = w0.fma(v, c50);
            c51 = w1.fma(v, c51);
            c52 = w2.fma(v, c52);
            c53 = w3.fma(v, c53);
        }
        c00.intoArray(acc, a0);
        c01.intoArray(acc, a0 + L);
        c02.intoArray(acc, a0 + 2 * L);
        c03.intoArray(acc, a0 + 3 * L);
        c10.intoArray(acc, a1);
        c11.intoArray(acc, a1 + L);
        c12.intoArray(acc, a1 + 2 * L);
        c13.intoArray(acc, a1 + 3 * L);
        c20.intoArray(acc, a2);
        c21.intoArray(acc, a2 + L);
        c22.intoArray(acc, a2 + 2 * L);
        c23.intoArray(acc, a2 + 3 * L);
        c30.intoArray(acc, a3);
        c31.intoArray(acc, a3 + L);
        c32.intoArray(acc, a3 + 2 * L);
        c33.intoArray(acc, a3 + 3 * L);
        c40.intoArray(acc, a4);
        c41.intoArray(acc, a4 + L);
        c42.intoArray(acc, a4 + 2 * L);
        c43.intoArray(acc, a4 + 3 * L);
        c50.intoArray(acc, a5);
        c51.intoArray(acc, a5 + L);
        c52.intoArray(acc, a5 + 2 * L);
        c53.intoArray(acc, a5 + 3 * L);
    }

    /** As {@link #tile} for {@link #CC_NARROW} channels × {@link #KT_NARROW} taps: 2 loads and 12 broadcasts per 24 FMAs. */
    static void tileNarrow(float[] grad, int gOff, int ldg, int co0, int positions, int[] base, float[] planes, int[] offsets,
                           int t0, float[] acc) {
        int a0 = t0 * ldg + co0;
        int a1 = a0 + ldg;
        int a2 = a1 + ldg;
        int a3 = a2 + ldg;
        int a4 = a3 + ldg;
        int a5 = a4 + ldg;
        int a6 = a5 + ldg;
        int a7 = a6 + ldg;
        int a8 = a7 + ldg;
        int a9 = a8 + ldg;
        int a10 = a9 + ldg;
        int a11 = a10 + ldg;
        FloatVector c00 = FloatVector.fromArray(S, acc, a0), c01 = FloatVector.fromArray(S, acc, a0 + L);
        FloatVector c10 = FloatVector.fromArray(S, acc, a1), c11 = FloatVector.fromArray(S, acc, a1 + L);
        FloatVector c20 = FloatVector.fromArray(S, acc, a2), c21 = FloatVector.fromArray(S, acc, a2 + L);
        FloatVector c30 = FloatVector.fromArray(S, acc, a3), c31 = FloatVector.fromArray(S, acc, a3 + L);
        FloatVector c40 = FloatVector.fromArray(S, acc, a4), c41 = FloatVector.fromArray(S, acc, a4 + L);
        FloatVector c50 = FloatVector.fromArray(S, acc, a5), c51 = FloatVector.fromArray(S, acc, a5 + L);
        FloatVector c60 = FloatVector.fromArray(S, acc, a6), c61 = FloatVector.fromArray(S, acc, a6 + L);
        FloatVector c70 = FloatVector.fromArray(S, acc, a7), c71 = FloatVector.fromArray(S, acc, a7 + L);
        FloatVector c80 = FloatVector.fromArray(S, acc, a8), c81 = FloatVector.fromArray(S, acc, a8 + L);
        FloatVector c90 = FloatVector.fromArray(S, acc, a9), c91 = FloatVector.fromArray(S, acc, a9 + L);
        FloatVector c100 = FloatVector.fromArray(S, acc, a10), c101 = FloatVector.fromArray(S, acc, a10 + L);
        FloatVector c110 = FloatVector.fromArray(S, acc, a11), c111 = FloatVector.fromArray(S, acc, a11 + L);
        int o0 = offsets[t0 + 0];
        int o1 = offsets[t0 + 1];
        int o2 = offsets[t0 + 2];
        int o3 = offsets[t0 + 3];
        int o4 = offsets[t0 + 4];
        int o5 = offsets[t0 + 5];
        int o6 = offsets[t0 + 6];
        int o7 = offsets[t0 + 7];
        int o8 = offsets[t0 + 8];
        int o9 = offsets[t0 + 9];
        int o10 = offsets[t0 + 10];
        int o11 = offsets[t0 + 11];
        for (int j = 0; j < positions; j++) {
            int g = gOff + j * CC_NARROW, pb = base[j];
            FloatVector w0 = FloatVector.fromArray(S, grad, g), w1 = FloatVector.fromArray(S, grad, g + L);
            FloatVector v = FloatVector.broadcast(S, planes[pb + o0]);
            c00 = w0.fma(v, c00);
            c01 = w1.fma(v, c01);
            v = FloatVector.broadcast(S, planes[pb + o1]);
            c10 = w0.fma(v, c10);
            c11 = w1.fma(v, c11);
            v = FloatVector.broadcast(S, planes[pb + o2]);
            c20 = w0.fma(v, c20);
            c21 = w1.fma(v, c21);
            v = FloatVector.broadcast(S, planes[pb + o3]);
            c30 = w0.fma(v, c30);
            c31 = w1.fma(v, c31);
            v = FloatVector.broadcast(S, planes[pb + o4]);
            c40 = w0.fma(v, c40);
            c41 = w1.fma(v, c41);
            v = FloatVector.broadcast(S, planes[pb + o5]);
            c50 = w0.fma(v, c50);
            c51 = w1.fma(v, c51);
            v = FloatVector.broadcast(S, planes[pb + o6]);
            c60 = w0.fma(v, c60);
            c61 = w1.fma(v, c61);
            v = FloatVector.broadcast(S, planes[pb + o7]);
            c70 = w0.fma(v, c70);
            c71 = w1.fma(v, c71);
            v = FloatVector.broadcast(S, planes[pb + o8]);
            c80 = w0.fma(v, c80);
            c81 = w1.fma(v, c81);
            v = FloatVector.broadcast(S, planes[pb + o9]);
            c90 = w0.fma(v, c90);
            c91 = w1.fma(v, c91);
            v = FloatVector.broadcast(S, planes[pb + o10]);
            c100 = w0.fma(v, c100);
            c101 = w1.fma(v, c101);
            v = FloatVector.broadcast(S, planes[pb + o11]);
            c110 = w0.fma(v, c110);
            c111 = w1.fma(v, c111);
        }
        c00.intoArray(acc, a0);
        c01.intoArray(acc, a0 + L);
        c10.intoArray(acc, a1);
        c11.intoArray(acc, a1 + L);
        c20.intoArray(acc, a2);
        c21.intoArray(acc, a2 + L);
        c30.intoArray(acc, a3);
        c31.intoArray(acc, a3 + L);
        c40.intoArray(acc, a4);
        c41.intoArray(acc, a4 + L);
        c50.intoArray(acc, a5);
        c51.intoArray(acc, a5 + L);
        c60.intoArray(acc, a6);
        c61.intoArray(acc, a6 + L);
        c70.intoArray(acc, a7);
        c71.intoArray(acc, a7 + L);
        c80.intoArray(acc, a8);
        c81.intoArray(acc, a8 + L);
        c90.intoArray(acc, a9);
        c91.intoArray(acc, a9 + L);
        c100.intoArray(acc, a10);
        c101.intoArray(acc, a10 + L);
        c110.intoArray(acc, a11);
        c111.intoArray(acc, a11 + L);
    }
}
