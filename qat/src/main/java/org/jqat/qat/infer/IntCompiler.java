package org.jqat.qat.infer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.nn.Module;
import org.jqat.nn.Sequential;
import org.jqat.nn.layers.AdaptiveAvgPool2d;
import org.jqat.nn.layers.BatchNorm2d;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Dropout;
import org.jqat.nn.layers.Flatten;
import org.jqat.nn.layers.Identity;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.layers.MaxPool2d;
import org.jqat.nn.layers.ReLU;
import org.jqat.nn.zoo.BasicBlock;
import org.jqat.nn.zoo.CifarResNet;
import org.jqat.nn.zoo.MnistCnn;
import org.jqat.nn.zoo.PadShortcut;
import org.jqat.qat.convert.QuantLayers;
import org.jqat.qat.export.QatExport;

/** Turns an exported file plus the architecture into the integer pipeline of an {@link IntModel}. */
final class IntCompiler {
    /**
     * Fractional bits of the residual stream below the step of the layer that reads it:
     * {@code 24 − bits} (20 for 4-bit activations, 22 for 2-bit, 16 for 8-bit), which leaves
     * {@code 2^(7+bits)} steps, over 128× the reader's range, before the int32 saturates.
     */
    static int streamBits(ActGrid reader) {
        int bits = 32 - Integer.numberOfLeadingZeros(reader.codeMax() - reader.codeMin());
        return 24 - bits;
    }

    private final SafetensorsFile file;
    private final Module model;
    private final boolean simd;
    private final List<Step> steps = new ArrayList<>();
    private long weightBytes;

    private IntCompiler(SafetensorsFile file, Module model, boolean simd) {
        this.file = file;
        this.model = model;
        this.simd = simd;
    }

    static IntModel compile(Path path, Module template, boolean simd) {
        Module loaded = QatExport.load(path, template);
        loaded.eval();
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            IntCompiler c = new IntCompiler(f, loaded, simd);
            if (loaded instanceof CifarResNet r) {
                c.resnet(r);
            } else if (loaded instanceof MnistCnn || loaded instanceof Sequential) {
                c.sequential("", loaded.namedChildren());
            } else {
                throw new IllegalArgumentException("integer inference: model " + loaded.getClass().getSimpleName()
                        + " is not supported (CIFAR ResNets, MnistCnn and Sequential models are)");
            }
            return new IntModel(c.steps, c.weightBytes);
        }
    }

    // ----- layers -----

    private static boolean isInt(Module layer) {
        return QuantLayers.isQuantLayer(layer) && QuantLayers.inputQuantizer(layer) != null;
    }

    private static ActGrid inGrid(String name, Module layer) {
        return ActGrid.of(name, QuantLayers.inputQuantizer(layer).grid(null));
    }

    private record Layer(IntConv conv, LayerWeights w) {
    }

    /** The layer's integer conv; {@code in}, its input grid, bounds the products ({@link Accumulation}). */
    private Layer intLayer(String name, Module layer, ActGrid in) {
        int rows;
        int inC;
        int k;
        int stride = 1;
        int pad = 0;
        if (layer instanceof Conv2d c) {
            if (c.groups != 1 || c.dilation != 1) {
                throw new IllegalArgumentException("integer inference: layer " + name + " has groups/dilation (unsupported)");
            }
            rows = c.outChannels;
            inC = c.inChannels;
            k = c.kernel;
            stride = c.stride;
            pad = c.padding;
        } else {
            Linear l = (Linear) layer;
            rows = l.outFeatures;
            inC = l.inFeatures;
            k = 1;
        }
        LayerWeights w = LayerWeights.read(file, name, rows, inC * k * k);
        weightBytes += w.codes().bytes();
        return new Layer(new IntConv(name, w.codes(), inC, k, stride, pad, in.codeMin(), in.codeMax(), simd), w);
    }

    /** Per output channel {gain, shift}: the layer's bias and the following batch norm, folded. */
    private static double[][] fold(Module layer, BatchNorm2d bn, int channels) {
        double[] gain = new double[channels];
        double[] shift = new double[channels];
        Arrays.fill(gain, 1);
        if (layer.param("bias") != null) {
            float[] b = layer.param("bias").toFloatArray();
            for (int c = 0; c < channels; c++) {
                shift[c] = b[c];
            }
        }
        if (bn != null) {
            float[] g = bn.weight().toFloatArray();
            float[] be = bn.bias().toFloatArray();
            float[] mean = bn.runningMean().toFloatArray();
            float[] var = bn.runningVar().toFloatArray();
            for (int c = 0; c < channels; c++) {
                double inv = g[c] / Math.sqrt((double) var[c] + bn.eps);
                shift[c] = (shift[c] - mean[c]) * inv + be[c];
                gain[c] = inv;
            }
        }
        return new double[][] {gain, shift};
    }

    /** acc ↦ clamp(round(s_in·s_w·gain·(acc − zp_in·Σw)/s_out + shift/s_out + zp_out), lo, hi). */
    private static Requant requant(Layer l, ActGrid in, double[][] fold, double outScale, int outZp, int lo, int hi) {
        int rows = l.conv().outChannels();
        long[] sums = in.zeroPoint() == 0 ? null : l.w().codes().rowSums();
        double[] m = new double[rows];
        double[] b = new double[rows];
        for (int c = 0; c < rows; c++) {
            m[c] = in.scale() * l.w().scale(c) * fold[0][c] / outScale;
            b[c] = fold[1][c] / outScale + outZp - (sums == null ? 0 : m[c] * in.zeroPoint() * sums[c]);
        }
        return Requant.of(m, b, lo, hi);
    }

    // ----- sequential models (MnistCnn) -----

    private void sequential(String prefix, Map<String, Module> children) {
        List<String> names = new ArrayList<>();
        List<Module> mods = new ArrayList<>();
        children.forEach((k, v) -> {
            names.add(prefix + k);
            mods.add(v);
        });
        boolean codes = false; // current form: codes or float
        List<String> floatNames = new ArrayList<>();
        List<Module> floatMods = new ArrayList<>();
        for (int i = 0; i < mods.size(); i++) {
            String name = names.get(i);
            Module m = mods.get(i);
            if (isInt(m)) {
                flushFloat(floatNames, floatMods);
                ActGrid g = inGrid(name, m);
                if (!codes) {
                    steps.add(Steps.floatToCodes(g, false));
                }
                Layer l = intLayer(name, m, g);
                int j = i + 1;
                BatchNorm2d bn = j < mods.size() && mods.get(j) instanceof BatchNorm2d b ? b : null;
                if (bn != null) {
                    j++;
                }
                boolean relu = false;
                int k = j;
                while (k < mods.size() && (mods.get(k) instanceof ReLU || mods.get(k) instanceof MaxPool2d
                        || mods.get(k) instanceof Flatten || mods.get(k) instanceof Dropout || mods.get(k) instanceof Identity)) {
                    relu |= mods.get(k) instanceof ReLU;
                    k++;
                }
                double[][] f = fold(m, bn, l.conv().outChannels());
                if (k < mods.size() && isInt(mods.get(k))) {
                    ActGrid next = inGrid(names.get(k), mods.get(k));
                    Requant q = requant(l, g, f, next.scale(), next.zeroPoint(), relu ? next.reluLo() : next.codeMin(), next.codeMax());
                    steps.add(Steps.conv(l.conv(), q, next, 0, "codes of " + next.layer() + (relu ? " (relu folded)" : "")));
                    for (int t = j; t < k; t++) {
                        if (mods.get(t) instanceof MaxPool2d p) {
                            if (p.padding != 0) {
                                throw new IllegalArgumentException("integer inference: layer " + names.get(t) + " pads (unsupported)");
                            }
                            steps.add(Steps.maxPoolCodes(names.get(t), p.kernel, p.stride));
                        }
                    }
                    codes = true;
                    i = k - 1;
                } else {
                    steps.add(Steps.convToFloat(l.conv(), g, l.w().scale(), f[0], f[1]));
                    codes = false;
                    i = j - 1;
                }
            } else if (m instanceof Conv2d || m instanceof Linear || m instanceof BatchNorm2d || !codes) {
                if (codes) {
                    codes = false; // floatModules dequantizes codes
                }
                if (!(m instanceof Conv2d || m instanceof Linear || m instanceof BatchNorm2d || m instanceof ReLU
                        || m instanceof MaxPool2d || m instanceof Flatten || m instanceof Dropout || m instanceof Identity
                        || m instanceof AdaptiveAvgPool2d)) {
                    throw new IllegalArgumentException("integer inference: layer " + name + " (" + m.getClass().getSimpleName() + ") is not supported");
                }
                floatNames.add(name);
                floatMods.add(m);
            } else if (m instanceof ReLU) {
                steps.add(Steps.reluCodes(name));
            } else if (m instanceof MaxPool2d p && p.padding == 0) {
                steps.add(Steps.maxPoolCodes(name, p.kernel, p.stride));
            } else if (!(m instanceof Flatten || m instanceof Dropout || m instanceof Identity)) {
                throw new IllegalArgumentException("integer inference: layer " + name + " (" + m.getClass().getSimpleName()
                        + ") is not supported on integer codes");
            }
        }
        flushFloat(floatNames, floatMods);
    }

    private void flushFloat(List<String> names, List<Module> mods) {
        if (!mods.isEmpty()) {
            steps.add(Steps.floatModules(List.copyOf(names), List.copyOf(mods)));
            names.clear();
            mods.clear();
        }
    }

    // ----- CIFAR ResNets -----

    private void resnet(CifarResNet r) {
        List<String> blockNames = new ArrayList<>();
        List<BasicBlock> blocks = new ArrayList<>();
        for (int s = 1; s <= 3; s++) {
            for (var e : r.child("layer" + s).namedChildren().entrySet()) {
                if (!(e.getValue() instanceof BasicBlock b)) {
                    throw new IllegalArgumentException("integer inference: layer" + s + "." + e.getKey() + " is not a BasicBlock");
                }
                blockNames.add("layer" + s + "." + e.getKey());
                blocks.add(b);
            }
        }
        Module conv1 = r.child("conv1");
        Module fc = r.child("fc");
        ActGrid fcGrid = isInt(fc) ? inGrid("fc", fc) : null;
        double stream = streamScale(blocks.isEmpty() ? fcGrid : inGrid(blockNames.get(0) + ".conv1", need(blocks.get(0), blockNames.get(0), "conv1")), 1);
        BatchNorm2d bn1 = (BatchNorm2d) r.child("bn1");
        if (isInt(conv1)) {
            ActGrid g = inGrid("conv1", conv1);
            steps.add(Steps.floatToCodes(g, false));
            Layer l = intLayer("conv1", conv1, g);
            Requant q = requant(l, g, fold(conv1, bn1, l.conv().outChannels()), stream, 0, 0, Integer.MAX_VALUE);
            steps.add(Steps.conv(l.conv(), q, null, stream, "int32 stream (bn1, relu folded)"));
        } else {
            steps.add(Steps.floatModules(List.of("conv1", "bn1", "relu"), List.of(conv1, bn1, r.child("relu"))));
            steps.add(Steps.floatToStream(stream));
        }
        for (int i = 0; i < blocks.size(); i++) {
            ActGrid next = i + 1 < blocks.size() ? inGrid(blockNames.get(i + 1) + ".conv1", need(blocks.get(i + 1), blockNames.get(i + 1), "conv1"))
                    : fcGrid;
            double wanted = next == null ? stream : streamScale(next, 1);
            double out = keepsStreamScale(blocks.get(i), stream, wanted) ? stream : wanted;
            steps.add(block(blockNames.get(i), blocks.get(i), stream, out));
            stream = out;
        }
        steps.add(Steps.avgPool("avgpool", fcGrid));
        if (fcGrid != null) {
            Layer l = intLayer("fc", fc, fcGrid);
            steps.add(Steps.convToFloat(l.conv(), fcGrid, l.w().scale(), fold(fc, null, l.conv().outChannels())[0],
                    fold(fc, null, l.conv().outChannels())[1]));
        } else {
            steps.add(Steps.floatModules(List.of("fc"), List.of(fc)));
        }
    }

    /**
     * Whether a block with a parameter-free shortcut keeps its input stream's scale instead of the
     * one its reader wants, so the shortcut is added as it is (one requantize per output instead of
     * two, {@link Requantize#residualRow}). Only within a factor 4 of the wanted scale: the stream
     * keeps at least 18 fractional bits below the reader's step and 2^(5+bits) steps of headroom.
     */
    static boolean keepsStreamScale(BasicBlock block, double scale, double wanted) {
        double ratio = scale / wanted;
        return !block.hasChild("downsample") && ratio >= 0.25 && ratio <= 4;
    }

    private static double streamScale(ActGrid reader, double fallback) {
        return reader == null ? fallback : Math.scalb(reader.scale(), -streamBits(reader));
    }

    private static Module need(Module block, String blockName, String child) {
        Module m = block.child(child);
        if (!isInt(m)) {
            throw new IllegalArgumentException("integer inference: layer " + blockName + "." + child
                    + " is not quantized with an input quantizer (only the first and last layers may stay float)");
        }
        return m;
    }

    private ResidualBlock block(String name, BasicBlock b, double inScale, double outScale) {
        Module c1 = need(b, name, "conv1");
        Module c2 = need(b, name, "conv2");
        ActGrid g1 = inGrid(name + ".conv1", c1);
        ActGrid g2 = inGrid(name + ".conv2", c2);
        Layer l1 = intLayer(name + ".conv1", c1, g1);
        Layer l2 = intLayer(name + ".conv2", c2, g2);
        int inC = ((Conv2d) c1).inChannels;
        int c = l2.conv().outChannels();
        Requant toCodes1 = Steps.streamToCodes(inScale, g1, inC);
        Requant rq1 = requant(l1, g1, fold(c1, (BatchNorm2d) b.child("bn1"), l1.conv().outChannels()), g2.scale(), g2.zeroPoint(),
                g2.reluLo(), g2.codeMax());
        Requant rq2 = requant(l2, g2, fold(c2, (BatchNorm2d) b.child("bn2"), c), outScale, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        double[] idm = new double[c];
        Arrays.fill(idm, inScale / outScale);
        Requant identity = Requant.of(idm, null, Integer.MIN_VALUE, Integer.MAX_VALUE);
        int padStride = 0;
        int padChannels = 0;
        Requant toCodesD = null;
        ActGrid gd = null;
        IntConv convD = null;
        Requant rqD = null;
        if (b.hasChild("downsample")) {
            Module ds = b.child("downsample");
            Module dc = ds.child("0");
            String dn = name + ".downsample.0";
            if (!isInt(dc)) {
                throw new IllegalArgumentException("integer inference: layer " + dn + " is not quantized (run with --quantize-shortcuts)");
            }
            gd = inGrid(dn, dc);
            Layer ld = intLayer(dn, dc, gd);
            convD = ld.conv();
            toCodesD = Steps.streamToCodes(inScale, gd, inC);
            rqD = requant(ld, gd, fold(dc, (BatchNorm2d) ds.child("1"), c), outScale, 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
        } else if (b.hasChild("shortcut")) {
            PadShortcut p = (PadShortcut) b.child("shortcut");
            padStride = p.stride;
            padChannels = p.outChannels;
        }
        return new ResidualBlock(name, toCodes1, g1, l1.conv(), rq1, g2, l2.conv(), rq2, identity, padStride, padChannels,
                toCodesD, gd, convD, rqD, outScale, simd);
    }
}
