package org.jqat.qat.infer;

/**
 * A CIFAR ResNet basic block on the int32 residual stream:
 * {@code out = max(0, rq2(conv2(rq1(conv1(codes(x))))) + shortcut(x))}.
 *
 * <p>Residual adds: both branches are requantized to one common scale, the block's output
 * stream scale {@code s_out = s_next/2^(24−bits)} (s_next: the step of the next layer that reads the
 * stream), and added in int32 (saturating). The main branch gets there through conv2's requantize
 * (BN folded: {@code M = s_in·s_w·γ/√(σ²+ε)/s_out}); the shortcut is the input stream rescaled by
 * {@code s_in_stream/s_out} (identity, or option A: subsample and zero channels) or the
 * quantized 1×1 downsample conv with its BN folded. The stream keeps 24 − bits fractional bits below
 * the next quantizer's step (20 at 4 bits), so requantizing it to codes rounds as the
 * fake-quantized model rounds its float sum to within 2^−21 of a step, about float32's own error.
 */
final class ResidualBlock implements Step {
    final String name;
    final Requant toCodes1;
    final ActGrid g1;
    final IntConv conv1;
    final Requant rq1;
    final ActGrid g2;
    final IntConv conv2;
    final Requant rq2;
    final Requant identity;
    final int padStride;
    final int padChannels;
    final Requant toCodesD;
    final ActGrid gd;
    final IntConv convD;
    final Requant rqD;
    final double outScale;
    final boolean simd;

    ResidualBlock(String name, Requant toCodes1, ActGrid g1, IntConv conv1, Requant rq1, ActGrid g2, IntConv conv2, Requant rq2,
            Requant identity, int padStride, int padChannels, Requant toCodesD, ActGrid gd, IntConv convD, Requant rqD,
            double outScale, boolean simd) {
        this.name = name;
        this.toCodes1 = toCodes1;
        this.g1 = g1;
        this.conv1 = conv1;
        this.rq1 = rq1;
        this.g2 = g2;
        this.conv2 = conv2;
        this.rq2 = rq2;
        this.identity = identity;
        this.padStride = padStride;
        this.padChannels = padChannels;
        this.toCodesD = toCodesD;
        this.gd = gd;
        this.convD = convD;
        this.rqD = rqD;
        this.outScale = outScale;
        this.simd = simd;
    }

    private Act codes(Act x, Requant q, ActGrid g) {
        byte[] out = new byte[x.size()];
        if (simd) {
            Requantize.toCodes(x.stream(), x.c(), x.h() * x.w(), q, out);
        } else {
            Requantize.toCodesScalar(x.stream(), x.c(), x.h() * x.w(), q, out);
        }
        return Act.codes(x.c(), x.h(), x.w(), out, g.unsigned(), g.zeroPoint(), g.scale());
    }

    private int[] ints(int[] acc, int rows, int n, Requant q) {
        int[] out = new int[acc.length];
        if (simd) {
            Requantize.toInts(acc, rows, n, q, out);
        } else {
            Requantize.toIntsScalar(acc, rows, n, q, out);
        }
        return out;
    }

    @Override
    public Act apply(Act x) {
        x.expect("stream", name);
        Act a = codes(x, toCodes1, g1);
        int[] acc1 = conv1.accumulate(a);
        int oh = conv1.outH(a);
        int ow = conv1.outW(a);
        byte[] h = new byte[acc1.length];
        if (simd) {
            Requantize.toCodes(acc1, conv1.outChannels(), oh * ow, rq1, h);
        } else {
            Requantize.toCodesScalar(acc1, conv1.outChannels(), oh * ow, rq1, h);
        }
        Act b = Act.codes(conv1.outChannels(), oh, ow, h, g2.unsigned(), g2.zeroPoint(), g2.scale());
        int[] acc2 = conv2.accumulate(b);
        int c = conv2.outChannels();
        int p = conv2.outH(b) * conv2.outW(b);
        int[] main = ints(acc2, c, p, rq2);
        int[] sc;
        if (convD != null) {
            Act d = codes(x, toCodesD, gd);
            sc = ints(convD.accumulate(d), c, p, rqD);
        } else if (padStride > 0) {
            int sh = (x.h() + padStride - 1) / padStride;
            int sw = (x.w() + padStride - 1) / padStride;
            int before = (padChannels - x.c()) / 2;
            int[] sub = new int[padChannels * sh * sw];
            for (int ch = 0; ch < x.c(); ch++) {
                for (int y = 0; y < sh; y++) {
                    for (int xx = 0; xx < sw; xx++) {
                        sub[((ch + before) * sh + y) * sw + xx] = x.stream()[(ch * x.h() + y * padStride) * x.w() + xx * padStride];
                    }
                }
            }
            sc = ints(sub, padChannels, sh * sw, identity);
        } else {
            sc = ints(x.stream(), x.c(), x.h() * x.w(), identity);
        }
        if (sc.length != main.length) {
            throw new IllegalStateException("integer inference: " + name + " shortcut has " + sc.length + " values, main branch " + main.length);
        }
        for (int i = 0; i < main.length; i++) {
            long v = (long) main[i] + sc[i];
            main[i] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, v));
        }
        return Act.stream(c, conv2.outH(b), conv2.outW(b), main, outScale);
    }

    @Override
    public String describe() {
        return name + ": residual block W" + conv1.weights.bits() + "/W" + conv2.weights.bits() + " A" + g1.codeMax() + "max"
                + (convD != null ? ", downsample conv" : padStride > 0 ? ", option-A shortcut" : ", identity") + ", stream scale " + outScale;
    }

    @Override
    public long bytes() {
        long n = conv1.weights.bytes() + conv2.weights.bytes() + (convD == null ? 0 : convD.weights.bytes());
        for (Requant q : new Requant[] {toCodes1, rq1, rq2, identity, toCodesD, rqD}) {
            n += q == null ? 0 : q.bytes();
        }
        return n;
    }
}
