package org.jqat.qat.infer;

import java.util.List;
import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.core.Threads;
import org.jqat.nn.Module;
import org.jqat.nn.infer.FoldedConv;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.ReLU;

/** The pipeline's steps besides the residual block, each over a whole batch: quantize, float layers, conv, pooling, requantize, dequantize. */
final class Steps {
    private Steps() {
    }

    /** Float to codes on a layer's input grid (ReLU first when asked), as the fake-quantizer rounds. */
    static Step floatToCodes(ActGrid g, boolean relu) {
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                float[] x = in.expect("float", "quantize for " + g.layer()).fl();
                byte[] out = new byte[x.length];
                int per = in.perImage();
                Threads.parallelFor(in.n(), img -> {
                    for (int i = img * per; i < (img + 1) * per; i++) {
                        out[i] = (byte) g.quantize(relu ? Math.max(0f, x[i]) : x[i]);
                    }
                });
                return Act.codes(in.n(), in.c(), in.h(), in.w(), out, g.unsigned(), g.zeroPoint(), g.scale());
            }

            public String describe() {
                return "quantize float -> codes of " + g.layer() + " [" + g.codeMin() + "," + g.codeMax() + "]" + (relu ? " (relu)" : "");
            }
        };
    }

    /** Float to the residual stream: {@code rint(x/scale)} saturated to int32. */
    static Step floatToStream(double scale) {
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                float[] x = in.expect("float", "stream").fl();
                int[] out = ws.ints("stream", x.length, null);
                int per = in.perImage();
                Threads.parallelFor(in.n(), img -> {
                    for (int i = img * per; i < (img + 1) * per; i++) {
                        out[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.rint(x[i] / scale)));
                    }
                });
                return Act.stream(in.n(), in.c(), in.h(), in.w(), out, scale);
            }

            public String describe() {
                return "float -> int32 stream (scale " + scale + ")";
            }
        };
    }

    /**
     * Float modules run by the engine (the full-precision first/last layers) on the whole batch, in
     * eval mode, each Conv2d → BatchNorm2d (→ ReLU) run folded into one layer as
     * {@code Inference.optimize} folds it: run unfolded, ResNet-20's float stem took 5.3 ms of a
     * 62 ms batch of 128 (batch norm and ReLU each a pass of their own over 2M values).
     */
    static Step floatModules(List<String> names, List<Module> given) {
        List<Module> modules = foldBatchNorms(given);
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                Act a = in.fl() == null ? dequantize(in) : in;
                int n = a.n();
                Tensor t = Tensor.of(a.fl(), n, a.c(), a.h(), a.w());
                try (var ng = Autograd.noGrad()) {
                    for (Module m : modules) {
                        if (t.dim() == 2 && m instanceof org.jqat.nn.layers.Linear == false && !(m instanceof org.jqat.nn.layers.ReLU)
                                && !(m instanceof org.jqat.nn.layers.Dropout) && !(m instanceof org.jqat.nn.layers.Flatten)) {
                            t = t.reshape(n, t.numel() / n, 1, 1);
                        }
                        if (m instanceof org.jqat.nn.layers.Linear && t.dim() != 2) {
                            t = t.reshape(n, t.numel() / n);
                        }
                        t = m.forward(t);
                    }
                }
                int[] s = t.shape();
                return Act.floats(n, s[1], s.length > 2 ? s[2] : 1, s.length > 3 ? s[3] : 1, t.toFloatArray());
            }

            public String describe() {
                return "float " + String.join(", ", names);
            }

            public long bytes() {
                long n = 0;
                for (Module m : modules) {
                    for (Tensor t : m.stateDict().values()) {
                        n += 4L * t.numel();
                    }
                }
                return n;
            }
        };
    }

    /** {@code modules} with each Conv2d directly followed by a BatchNorm2d (and a ReLU) replaced by one {@link FoldedConv} (new tensors). */
    private static List<Module> foldBatchNorms(List<Module> modules) {
        List<Module> out = new java.util.ArrayList<>();
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            if (m.getClass() == Conv2d.class && i + 1 < modules.size() && modules.get(i + 1).getClass() == BatchNorm2d.class) {
                boolean relu = i + 2 < modules.size() && modules.get(i + 2).getClass() == ReLU.class;
                out.add(FoldedConv.of((Conv2d) m, (BatchNorm2d) modules.get(i + 1), relu));
                i += relu ? 2 : 1;
            } else {
                out.add(m);
            }
        }
        return List.copyOf(out);
    }

    static Act dequantize(Act in) {
        in = in.dense(int[]::new);
        float[] out = new float[in.size()];
        if (in.codes() != null) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) ((in.code(i) - in.zeroPoint()) * in.scale());
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (in.stream()[i] * in.scale());
            }
        }
        return Act.floats(in.n(), in.c(), in.h(), in.w(), out);
    }

    /** A quantized conv/linear with requantization to codes (int8/uint8) or to the int32 stream fused into it. */
    static Step conv(IntConv conv, Requant q, ActGrid next, double streamScale, String what) {
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                Act a = conv.input(in);
                int oh = conv.outH(a);
                int ow = conv.outW(a);
                int c = conv.outChannels();
                int size = a.n() * c * oh * ow;
                if (next != null) {
                    byte[] out = ws.bytes("codes", size, a.codes());
                    conv.forward(a, Epilogue.codes(q, c, oh, ow, out), ws);
                    return Act.codes(a.n(), c, oh, ow, out, next.unsigned(), next.zeroPoint(), next.scale());
                }
                int[] out = ws.ints("stream", size, null);
                conv.forward(a, Epilogue.stream(q, c, oh, ow, null, out), ws);
                return Act.stream(a.n(), c, oh, ow, out, streamScale);
            }

            public String describe() {
                return conv.name + ": int conv W" + conv.weights.bits() + " (" + conv.arithmetic() + ") -> " + what;
            }

            public long bytes() {
                return conv.weights.bytes() + q.bytes();
            }
        };
    }

    /** A quantized linear/conv whose output goes to float: {@code s_in·s_w·(acc − zp·Σw)·gain + bias}. */
    static Step convToFloat(IntConv conv, ActGrid in, float[] wScale, double[] gain, double[] bias) {
        long[] rowSums = conv.weights.rowSums();
        int rows = conv.outChannels();
        double[] m = new double[rows];
        double[] corr = new double[rows];
        for (int c = 0; c < rows; c++) {
            m[c] = in.scale() * wScale[wScale.length == 1 ? 0 : c] * gain[c];
            corr[c] = (double) in.zeroPoint() * rowSums[c];
        }
        return new Step() {
            public Act apply(Act x, Workspace ws) {
                Act a = conv.input(x);
                int oh = conv.outH(a);
                int ow = conv.outW(a);
                float[] out = new float[a.n() * rows * oh * ow];
                conv.forward(a, Epilogue.floats(m, corr, bias, rows, oh, ow, out), ws);
                return Act.floats(a.n(), rows, oh, ow, out);
            }

            public String describe() {
                return conv.name + ": int conv W" + conv.weights.bits() + " (" + conv.arithmetic() + ") -> float";
            }

            public long bytes() {
                return conv.weights.bytes() + 4L * wScale.length + 8L * (gain.length + bias.length + rowSums.length);
            }
        };
    }

    /** Max pooling on codes (no padding): exact, since quantization is monotone. */
    static Step maxPoolCodes(String name, int k, int stride) {
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                in.expect("codes", name);
                int oh = (in.h() - k) / stride + 1;
                int ow = (in.w() - k) / stride + 1;
                byte[] out = new byte[in.n() * in.c() * oh * ow];
                Threads.parallelFor(in.n(), img -> {
                    for (int c = img * in.c(); c < (img + 1) * in.c(); c++) {
                        for (int y = 0; y < oh; y++) {
                            for (int x = 0; x < ow; x++) {
                                int best = Integer.MIN_VALUE;
                                for (int i = 0; i < k; i++) {
                                    for (int j = 0; j < k; j++) {
                                        best = Math.max(best, in.code((c * in.h() + y * stride + i) * in.w() + x * stride + j));
                                    }
                                }
                                out[(c * oh + y) * ow + x] = (byte) best;
                            }
                        }
                    }
                });
                return Act.codes(in.n(), in.c(), oh, ow, out, in.unsigned(), in.zeroPoint(), in.scale());
            }

            public String describe() {
                return name + ": max pool on codes " + k + "x" + k + "/" + stride;
            }
        };
    }

    /** ReLU on codes: clamp below at the zero point. */
    static Step reluCodes(String name) {
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                byte[] out = in.expect("codes", name).codes().clone();
                for (int i = 0; i < out.length; i++) {
                    if (in.code(i) < in.zeroPoint()) {
                        out[i] = (byte) in.zeroPoint();
                    }
                }
                return Act.codes(in.n(), in.c(), in.h(), in.w(), out, in.unsigned(), in.zeroPoint(), in.scale());
            }

            public String describe() {
                return name + ": relu on codes";
            }
        };
    }

    /** The int32 stream requantized to a layer's input codes (one multiplier for every channel). */
    static Requant streamToCodes(double streamScale, ActGrid g, int channels) {
        double[] m = new double[channels];
        double[] b = new double[channels];
        java.util.Arrays.fill(m, streamScale / g.scale());
        java.util.Arrays.fill(b, g.zeroPoint());
        return Requant.of(m, b, g.codeMin(), g.codeMax());
    }

    /** Requantizes the stream {@code x} to codes of grid {@code g} with {@code q} (one row per channel), image by image on {@link Threads}. */
    static Act streamToCodes(Act x, Requant q, ActGrid g, boolean simd, byte[] out) {
        if (x.grid()) {
            throw new IllegalArgumentException("integer inference: streamToCodes takes a dense stream");
        }
        int per = x.perImage();
        int hw = x.h() * x.w();
        Threads.parallelFor(x.n(), img -> {
            if (simd) {
                Requantize.toCodes(x.stream(), img * per, x.c(), hw, q, out, img * per);
            } else {
                Requantize.toCodesScalar(x.stream(), img * per, x.c(), hw, q, out, img * per);
            }
        });
        return Act.codes(x.n(), x.c(), x.h(), x.w(), out, g.unsigned(), g.zeroPoint(), g.scale());
    }

    static Step streamToCodes(ActGrid g, boolean simd) {
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                in.expect("stream", g.layer());
                in = in.dense(k -> ws.ints("dense", k, null));
                return streamToCodes(in, streamToCodes(in.scale(), g, in.c()), g, simd, ws.bytes("codes", in.size(), null));
            }

            public String describe() {
                return "stream -> codes of " + g.layer();
            }
        };
    }

    /**
     * Global average pooling of the stream: to float (the float last layer) or, when {@code g} is
     * given, to that layer's codes by requantizing each channel sum with {@code M = s/(h·w·s_in)}.
     */
    static Step avgPool(String name, ActGrid g) {
        return new Step() {
            public Act apply(Act in, Workspace ws) {
                in.expect("stream", name);
                in = in.dense(k -> ws.ints("dense", k, null));
                int hw = in.h() * in.w();
                int planes = in.n() * in.c();
                if (g == null) {
                    float[] out = new float[planes];
                    for (int c = 0; c < planes; c++) {
                        long s = 0;
                        for (int j = 0; j < hw; j++) {
                            s += in.stream()[c * hw + j];
                        }
                        out[c] = (float) (s * in.scale() / hw);
                    }
                    return Act.floats(in.n(), in.c(), 1, 1, out);
                }
                // channel sums can pass 2^31 (64 values): one double product per channel, rint as the
                // fake-quantizer (a double carries the long sum exactly and M to 1e-16)
                double m = in.scale() / (hw * g.scale());
                byte[] out = new byte[planes];
                for (int c = 0; c < planes; c++) {
                    long s = 0;
                    for (int j = 0; j < hw; j++) {
                        s += in.stream()[c * hw + j];
                    }
                    double q = Math.rint(s * m) + g.zeroPoint();
                    out[c] = (byte) Math.max(g.codeMin(), Math.min(g.codeMax(), q));
                }
                return Act.codes(in.n(), in.c(), 1, 1, out, g.unsigned(), g.zeroPoint(), g.scale());
            }

            public String describe() {
                return name + ": average pool of the stream -> " + (g == null ? "float" : "codes of " + g.layer());
            }
        };
    }
}
