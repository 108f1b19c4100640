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
 * A parameter-free shortcut may keep the input stream's scale ({@code s_out = s_in_stream},
 * {@link IntCompiler#keepsStreamScale}): its rescale is then the identity and the stream is added
 * as it is.
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

    /** The downsample branch (option B) in the output stream's units, {@code [n][c][oh][ow]}. */
    private int[] downsample(Act x, int c, int oh, int ow, Workspace ws) {
        int[] sc = ws.ints("shortcut", x.n() * c * oh * ow, null);
        Act d = convD.input(Steps.streamToCodes(x, toCodesD, gd, simd, ws.bytes("codes", x.size(), null)));
        convD.forward(d, Epilogue.stream(rqD, c, oh, ow, null, sc), ws);
        return sc;
    }

    /** conv1's epilogue writing its codes into conv2's code planes for n images of {@code h × w} ({@link IntConv#feedsPlanesOf}). */
    private Epilogue intoConv2Planes(int n, int h, int w, short[] planes) {
        int cols = conv2.planeCols(w);
        return Epilogue.planes(rq1, conv1.outChannels(), h, w, conv2.planeBlock(n, h, w), conv2.planeRows(h), cols,
                conv2.padding * (cols + 1), g2.unsigned(), planes);
    }

    /**
     * Whether this block runs on the grid layout of the stream ({@link Act#grid}): SIMD, an
     * identity shortcut, and two stride-1, padding-1 convs that keep the image size, so the
     * block's input, conv1's and conv2's grids and its output all share one geometry.
     */
    private boolean onGrid() {
        return simd && convD == null && padStride == 0 && conv1.padding == 1 && conv1.feedsPlanesOf(conv2)
                && conv2.kernel == 2 * conv2.padding + 1 && conv2.outChannels() == conv1.inChannels;
    }

    /**
     * The block on the grid layout: conv1's code planes straight from the stream, conv1's codes
     * straight into conv2's planes, conv2's epilogue adding the shortcut run by run in place (into the input stream); the
     * output stays a grid for the next block (a dense input, the first block of a stage, is laid
     * out as a grid once).
     */
    private Act applyOnGrid(Act x, Workspace ws) {
        int n = x.n();
        int h = x.h();
        int w = x.w();
        int plane = Act.gridPlane(n, h, w);
        Act in = x.grid() ? x : x.gridded(ws.ints("grid", x.c() * plane, null));
        short[] p1 = ws.shorts("planes1", conv1.planesLength(n, h, w));
        conv1.planesFromGrid(in, toCodes1, (short) g1.zeroPoint(), p1);
        Act a = Act.codes(n, x.c(), h, w, null, g1.unsigned(), g1.zeroPoint(), g1.scale());
        int c1 = conv1.outChannels();
        short[] p2 = ws.shorts("planes", conv2.planesLength(n, h, w));
        conv1.forwardPlanes(a, p1, intoConv2Planes(n, h, w, p2), ws);
        conv2.fillBorders(p2, n, h, w, (short) g2.zeroPoint());
        Act b = Act.codes(n, c1, h, w, null, g2.unsigned(), g2.zeroPoint(), g2.scale());
        int c = conv2.outChannels();
        // the output overwrites the input stream in place: each position reads its shortcut and then
        // writes its sum, and nothing reads the input after conv1's planes; one stream instead of
        // two keeps a chunk's stage-1 layers in L2
        int[] out = in.stream();
        conv2.forwardPlanes(b, p2, Epilogue.residualGrid(rq2, c, h, w, plane, in.stream(), identity, out), ws);
        return Act.gridStream(n, c, h, w, out, outScale);
    }

    @Override
    public Act apply(Act x, Workspace ws) {
        x.expect("stream", name);
        if (onGrid()) {
            return applyOnGrid(x, ws);
        }
        x = x.dense(k -> ws.ints("dense", k, null));
        Act a = conv1.input(Steps.streamToCodes(x, toCodes1, g1, simd, ws.bytes("codes", x.size(), null)));
        int oh = conv1.outH(a);
        int ow = conv1.outW(a);
        int c1 = conv1.outChannels();
        int n = a.n();
        // conv1 → conv2 on stride 1: conv1 writes its codes into conv2's code planes (no byte activations, no lowering)
        short[] planes = null;
        Act b;
        if (conv1.feedsPlanesOf(conv2)) {
            planes = ws.shorts("planes", conv2.planesLength(n, oh, ow));
            conv1.forward(a, intoConv2Planes(n, oh, ow, planes), ws);
            conv2.fillBorders(planes, n, oh, ow, (short) g2.zeroPoint());
            b = Act.codes(n, c1, oh, ow, null, g2.unsigned(), g2.zeroPoint(), g2.scale());
        } else {
            byte[] h = ws.bytes("hidden", n * c1 * oh * ow, null);
            conv1.forward(a, Epilogue.codes(rq1, c1, oh, ow, h), ws);
            b = conv2.input(Act.codes(n, c1, oh, ow, h, g2.unsigned(), g2.zeroPoint(), g2.scale()));
        }
        int c = conv2.outChannels();
        int oh2 = conv2.outH(b);
        int ow2 = conv2.outW(b);
        // conv2's epilogue adds the shortcut and applies the block's ReLU: the main branch is never stored
        int[] out = ws.ints("stream", a.n() * c * oh2 * ow2, x.stream());
        Epilogue end;
        if (convD != null) {
            end = Epilogue.stream(rq2, c, oh2, ow2, downsample(x, c, oh2, ow2, ws), out);
        } else {
            int stride = padStride > 0 ? padStride : 0;
            int sh = stride > 0 ? (x.h() + stride - 1) / stride : x.h();
            int sw = stride > 0 ? (x.w() + stride - 1) / stride : x.w();
            int channels = stride > 0 ? padChannels : x.c();
            if (channels != c || sh != oh2 || sw != ow2) {
                throw new IllegalStateException("integer inference: " + name + " shortcut gives " + channels + "x" + sh + "x" + sw
                        + ", main branch " + c + "x" + oh2 + "x" + ow2);
            }
            int[] shortcut = stride == 0 ? x.stream()
                    : Epilogue.optionA(x, stride, c, (c - x.c()) / 2, oh2, ow2, ws.ints("optionA", a.n() * c * oh2 * ow2, null));
            end = Epilogue.residual(rq2, c, oh2, ow2, shortcut, identity, out);
        }
        if (planes != null) {
            conv2.forwardPlanes(b, planes, end, ws);
        } else {
            conv2.forward(b, end, ws);
        }
        return Act.stream(a.n(), c, oh2, ow2, out, outScale);
    }

    @Override
    public String describe() {
        return name + ": residual block W" + conv1.weights.bits() + "/W" + conv2.weights.bits() + " A" + g1.codeMax() + "max ("
                + conv1.arithmetic() + ", " + conv2.arithmetic() + ")"
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
