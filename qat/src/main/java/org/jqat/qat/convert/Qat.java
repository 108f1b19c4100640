package org.jqat.qat.convert;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jqat.core.Tensor;
import org.jqat.nn.Module;
import org.jqat.nn.layers.Conv2d;
import org.jqat.nn.layers.Linear;
import org.jqat.nn.optim.ParamGroup;
import org.jqat.qat.quant.DoReFaWeightQuantizer;
import org.jqat.qat.quant.LsqPlusQuantizer;
import org.jqat.qat.quant.LsqQuantizer;
import org.jqat.qat.quant.MinMaxQuantizer;
import org.jqat.qat.quant.PactQuantizer;
import org.jqat.qat.quant.QuantRange;
import org.jqat.qat.quant.Quantizer;

/**
 * One-call QAT: {@link #convert} turns a trained float model into its QAT twin, and
 * {@link #paramGroups} splits its parameters for the optimizer.
 */
public final class Qat {
    private Qat() {
    }

    /**
     * A deep copy of {@code model} in which every {@link Conv2d} and {@link Linear} the config
     * selects is replaced by a {@link QuantConv2d} / {@link QuantLinear} holding the same weights.
     * The float model is not changed.
     *
     * <p>Layers are taken in registration order; the first and last of them get the config's
     * first/last policy, layers with a {@code downsample} or {@code shortcut} segment in their
     * name follow {@link QatConfig#quantizeShortcuts()}, then overrides apply. The input of the
     * first layer (the network input) is quantized with signed levels, every other input with
     * unsigned ones (in the ResNets every other conv, the shortcuts and fc read ReLU outputs);
     * {@link LayerOverride#signedInput} changes that per layer.
     */
    public static <M extends Module> M convert(M model, QatConfig config) {
        M copy = model.copy();
        List<String> names = new ArrayList<>();
        for (var e : copy.namedModules().entrySet()) {
            Module m = e.getValue();
            if (!e.getKey().isEmpty() && (m instanceof Conv2d || m instanceof Linear) && !QuantLayers.isQuantLayer(m)) {
                names.add(e.getKey());
            }
        }
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            Plan p = plan(config, name, i == 0, i == names.size() - 1);
            if (p == null) {
                continue;
            }
            Module layer = copy.submodule(name);
            copy.setSubmodule(name, quantize(layer, config, p));
        }
        return copy;
    }

    /** What one layer gets: weight bits, input bits (0: float input), input sign. */
    private record Plan(int weightBits, int inputBits, boolean signedInput) {
    }

    private static Plan plan(QatConfig c, String name, boolean first, boolean last) {
        boolean skip = false;
        int wBits = c.weightBits();
        int aBits = c.activationBits();
        boolean signed = first;
        LayerPolicy policy = first ? c.firstLayer() : last ? c.lastLayer() : LayerPolicy.SAME;
        if (first && last) {
            // a one-layer model: the stricter of the two policies
            policy = c.firstLayer() == LayerPolicy.FULL_PRECISION || c.lastLayer() == LayerPolicy.FULL_PRECISION
                    ? LayerPolicy.FULL_PRECISION : c.firstLayer() == LayerPolicy.EIGHT_BIT || c.lastLayer() == LayerPolicy.EIGHT_BIT
                    ? LayerPolicy.EIGHT_BIT : LayerPolicy.SAME;
        }
        switch (policy) {
            case FULL_PRECISION -> skip = true;
            case EIGHT_BIT -> {
                wBits = 8;
                aBits = 8;
            }
            case SAME -> { }
        }
        if (!c.quantizeShortcuts() && isShortcut(name)) {
            skip = true;
        }
        for (LayerOverride o : c.overrides()) {
            if (!o.matches(name)) {
                continue;
            }
            if (o.weightBits() != null) {
                wBits = o.weightBits();
                skip = false;
            }
            if (o.activationBits() != null) {
                aBits = o.activationBits();
                skip = false;
            }
            if (o.skipValue() != null) {
                skip = o.skipValue();
            }
            if (o.signedInputValue() != null) {
                signed = o.signedInputValue();
            }
        }
        return skip ? null : new Plan(wBits, aBits, signed);
    }

    static boolean isShortcut(String name) {
        for (String part : name.split("\\.")) {
            if (part.equals("downsample") || part.equals("shortcut")) {
                return true;
            }
        }
        return false;
    }

    private static Module quantize(Module layer, QatConfig c, Plan p) {
        int outChannels = layer instanceof Conv2d conv ? conv.outChannels : ((Linear) layer).outFeatures;
        Quantizer wq = weightQuantizer(c, p.weightBits(), outChannels);
        Quantizer aq = p.inputBits() == 0 ? null : inputQuantizer(c, p.inputBits(), p.signedInput());
        return layer instanceof Conv2d conv ? new QuantConv2d(conv, wq, aq) : new QuantLinear((Linear) layer, wq, aq);
    }

    private static Quantizer weightQuantizer(QatConfig c, int bits, int channels) {
        boolean pc = c.perChannelWeights();
        return switch (c.method()) {
            case LSQ -> new LsqQuantizer(QuantRange.signed(bits), pc, channels, LsqQuantizer.Init.MEAN_ABS, Float.NaN);
            case LSQ_PLUS -> new LsqQuantizer(QuantRange.signed(bits), pc, channels, LsqQuantizer.Init.THREE_SIGMA, Float.NaN);
            case DOREFA_PACT -> {
                if (pc) {
                    throw new IllegalArgumentException("DoReFa weights are per tensor (max|tanh w| over the tensor); "
                            + "set perChannelWeights(false)");
                }
                yield new DoReFaWeightQuantizer(bits);
            }
            case MINMAX -> new MinMaxQuantizer(QuantRange.signed(bits), true, pc, channels, c.averagingConstant());
        };
    }

    private static Quantizer inputQuantizer(QatConfig c, int bits, boolean signed) {
        return switch (c.method()) {
            case LSQ -> LsqQuantizer.perTensor(QuantRange.of(signed, bits));
            case LSQ_PLUS -> new LsqPlusQuantizer(QuantRange.of(signed, bits));
            // PACT clips at 0: a signed input gets LSQ+'s asymmetric quantizer instead
            case DOREFA_PACT -> signed ? new LsqPlusQuantizer(QuantRange.signed(bits)) : new PactQuantizer(bits, c.pactAlpha());
            // affine: the zero point places any observed range, signed or not, on unsigned levels
            case MINMAX -> new MinMaxQuantizer(QuantRange.unsigned(bits), false, false, 1, c.averagingConstant());
        };
    }

    /** Every quantized layer of a model, by name, in order. */
    public static Map<String, QuantLayerInfo> layers(Module model) {
        Map<String, QuantLayerInfo> out = new LinkedHashMap<>();
        for (var e : model.namedModules().entrySet()) {
            Module m = e.getValue();
            if (!QuantLayers.isQuantLayer(m)) {
                continue;
            }
            Quantizer w = QuantLayers.weightQuantizer(m);
            Quantizer in = QuantLayers.inputQuantizer(m);
            boolean perChannel = w instanceof LsqQuantizer l ? l.isPerChannel()
                    : w instanceof MinMaxQuantizer mm && mm.grid(null).axis() >= 0;
            boolean signedIn = in instanceof LsqQuantizer l ? l.range().isSigned()
                    : in instanceof LsqPlusQuantizer lp ? lp.range().isSigned()
                    : in instanceof MinMaxQuantizer mm && mm.range().isSigned();
            out.put(e.getKey(), new QuantLayerInfo(e.getKey(), w.method(), w.bits(), perChannel,
                    in == null ? null : in.method(), in == null ? 0 : in.bits(), in != null && signedIn));
        }
        return out;
    }

    /** The parameters owned by quantizers (steps, offsets, clips), with their model names. */
    public static Map<String, Tensor> quantizerParameters(Module model) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : model.namedModules().entrySet()) {
            if (e.getValue() instanceof Quantizer q) {
                for (var p : q.namedParameters().entrySet()) {
                    out.put(e.getKey() + "." + p.getKey(), p.getValue());
                }
            }
        }
        return out;
    }

    /**
     * Optimizer groups: {@code main} (every other trainable parameter, with lr and weight decay)
     * and {@code quantizers} (quantizer parameters, own lr, weight decay 0: decaying a step or a
     * clip towards 0 would shrink the grid rather than regularise the weights).
     */
    public static List<ParamGroup> paramGroups(Module model, double lr, double weightDecay, double quantizerLr) {
        java.util.Set<Tensor> quant = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        quant.addAll(quantizerParameters(model).values());
        List<Tensor> main = new ArrayList<>();
        List<Tensor> q = new ArrayList<>();
        for (Tensor t : model.trainableParameters()) {
            (quant.contains(t) ? q : main).add(t);
        }
        return List.of(new ParamGroup("main", main, lr, weightDecay), new ParamGroup("quantizers", q, quantizerLr, 0));
    }
}
