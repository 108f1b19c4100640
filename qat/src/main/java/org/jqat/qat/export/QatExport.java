package org.jqat.qat.export;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jqat.core.Autograd;
import org.jqat.core.Tensor;
import org.jqat.core.io.DType;
import org.jqat.core.io.SafetensorsException;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.SafetensorsWriter;
import org.jqat.core.io.TensorEntry;
import org.jqat.nn.Module;
import org.jqat.qat.convert.QuantLayers;
import org.jqat.qat.quant.IdentityQuantizer;
import org.jqat.qat.quant.QuantGrid;
import org.jqat.qat.quant.Quantizer;

/**
 * Writes a QAT model as integer weights plus scales to one safetensors file, and reads it back.
 *
 * <p>For every quantized layer {@code L} (a QuantConv2d / QuantLinear) the file holds
 * {@code L.weight.codes} (the integer codes), {@code L.weight.scale} (F32, one per channel or
 * one), and where used {@code L.weight.offset} (F32) and {@code L.weight.zero_point} (I32); the
 * weight is {@code (code − zero_point)·scale + offset}. Codes of 1, 2 and 4 bits are packed into
 * U8 as {@link BitPacking} documents (stored as code − code_min); other widths are one byte per
 * code, I8 when the code range fits a signed byte, else U8 (DoReFa's and the min/max affine codes
 * reach 2^b − 1). Every other state-dict entry (biases, BatchNorm, float layers, quantizer
 * parameters and buffers) is stored as F32 under its own key.
 *
 * <p>Metadata: {@code format=jqat-qat/1}, {@code layers} (comma-separated), {@code packing}
 * (the rule), and per layer {@code L.weight.bits|method|shape|axis|code_min|code_max|storage}
 * and {@code L.input_quantizer} (method, bits, levels, scale/offset/zero point).
 */
public final class QatExport {
    public static final String FORMAT = "jqat-qat/1";
    public static final String PACKING_RULE = "1/2/4-bit codes: U8, LSB first, element i in byte i/(8/bits) "
            + "at bit (i%(8/bits))*bits, value code-code_min; other widths: one byte per code (I8 if the range fits, else U8)";

    private QatExport() {
    }

    /**
     * Writes the model (atomically). Quantizers are evaluated without changing their state.
     *
     * @throws IllegalArgumentException when the model has no quantized layer (nothing would run in integers)
     * @throws IllegalStateException    naming the first quantizer that has never seen data (an LSQ step
     *                                  or min/max range still at its initial value): the file would
     *                                  hold a grid no forward pass used
     */
    public static void export(Module model, Path file) {
        export(model, file, Map.of());
    }

    /**
     * As {@link #export(Module, Path)}, with extra metadata entries (e.g. the model name and QAT
     * options {@code jqat export} records so {@code jqat infer} can rebuild the architecture).
     */
    public static void export(Module model, Path file, Map<String, String> extraMetadata) {
        checkExportable(model);
        SafetensorsWriter w = new SafetensorsWriter();
        extraMetadata.forEach(w::metadata);
        w.metadata("format", FORMAT).metadata("packing", PACKING_RULE);
        Map<String, Tensor> state = model.stateDict();
        List<String> layers = new ArrayList<>();
        for (var e : model.namedModules().entrySet()) {
            Module m = e.getValue();
            Quantizer wq = QuantLayers.weightQuantizer(m);
            if (wq == null || wq.grid(m.param("weight")) == null) {
                continue;
            }
            String name = e.getKey();
            layers.add(name);
            writeWeight(w, name, m.param("weight"), wq);
            Quantizer in = QuantLayers.inputQuantizer(m);
            w.metadata(name + ".input_quantizer", in == null ? "none" : describe(in, in.grid(null)));
        }
        w.metadata("layers", String.join(",", layers));
        for (var e : state.entrySet()) {
            String key = e.getKey();
            if (key.endsWith(".weight") && layers.contains(key.substring(0, key.length() - ".weight".length()))) {
                continue;
            }
            Tensor t = e.getValue();
            w.add(key, t.toFloatArray(), t.shape());
        }
        w.write(file);
    }

    /** Refuses models with nothing quantized and quantizers that never ran, before anything is written. */
    private static void checkExportable(Module model) {
        boolean any = false;
        for (var e : model.namedModules().entrySet()) {
            Module m = e.getValue();
            Quantizer wq = QuantLayers.weightQuantizer(m);
            if (wq == null || wq instanceof IdentityQuantizer) {
                continue;
            }
            any = true;
            requireInitialized(e.getKey() + ".weight_quantizer", wq);
            requireInitialized(e.getKey() + ".input_quantizer", QuantLayers.inputQuantizer(m));
        }
        if (!any) {
            throw new IllegalArgumentException("export: " + model.getClass().getSimpleName() + " has no quantized layer; "
                    + "convert it with Qat.convert(model, config) and train it before exporting");
        }
    }

    private static void requireInitialized(String name, Quantizer q) {
        if (q != null && !q.isInitialized()) {
            throw new IllegalStateException("export: " + name + " (" + q.method() + ", " + q.bits() + " bits) has never seen data, "
                    + "so its grid is still the initial one; run the QAT model forward in training mode (train it, or "
                    + "calibrate on a few batches) before exporting");
        }
    }

    private static void writeWeight(SafetensorsWriter w, String layer, Tensor weight, Quantizer wq) {
        float[] y;
        boolean training = wq.isTraining();
        // eval so a min/max observer does not move; no-grad so nothing is recorded
        wq.train(false);
        try (var ng = Autograd.noGrad()) {
            y = wq.forward(weight).toFloatArray();
        } finally {
            wq.train(training);
        }
        QuantGrid g = wq.grid(weight);
        int[] shape = weight.shape();
        int[] codes = g.codes(y, shape);
        float[] back = g.dequantize(codes, shape);
        for (int k = 0; k < y.length; k++) {
            if (Float.floatToIntBits(back[k]) != Float.floatToIntBits(y[k]) && back[k] != y[k]) {
                throw new IllegalStateException("export: weight of " + layer + " is not on its grid at element " + k
                        + " (" + y[k] + " vs " + back[k] + ")");
            }
        }
        String p = layer + ".weight.";
        String storage;
        if (BitPacking.packs(g.bits())) {
            int[] u = new int[codes.length];
            for (int k = 0; k < u.length; k++) {
                u[k] = codes[k] - g.codeMin();
            }
            byte[] packed = BitPacking.pack(u, g.bits());
            w.addBytes(p + "codes", DType.U8, packed, packed.length);
            storage = "packed" + g.bits();
        } else {
            boolean signed = g.codeMin() >= Byte.MIN_VALUE && g.codeMax() <= Byte.MAX_VALUE;
            byte[] b = new byte[codes.length];
            for (int k = 0; k < b.length; k++) {
                b[k] = (byte) codes[k];
            }
            w.addBytes(p + "codes", signed ? DType.I8 : DType.U8, b, shape);
            storage = signed ? "I8" : "U8";
        }
        w.add(p + "scale", g.scale(), g.scale().length);
        if (g.offset() != null) {
            w.add(p + "offset", g.offset(), g.offset().length);
        }
        if (g.zeroPoint() != null) {
            w.addInts(p + "zero_point", g.zeroPoint(), g.zeroPoint().length);
        }
        w.metadata(p + "bits", Integer.toString(g.bits()))
                .metadata(p + "method", wq.method())
                .metadata(p + "shape", Arrays.stream(shape).mapToObj(Integer::toString).collect(Collectors.joining(",")))
                .metadata(p + "axis", Integer.toString(g.axis()))
                .metadata(p + "code_min", Integer.toString(g.codeMin()))
                .metadata(p + "code_max", Integer.toString(g.codeMax()))
                .metadata(p + "storage", storage);
    }

    private static String describe(Quantizer q, QuantGrid g) {
        if (g == null) {
            return q.method() + " bits=" + q.bits();
        }
        return q.method() + " bits=" + g.bits() + " levels=[" + g.codeMin() + "," + g.codeMax() + "] scale="
                + Arrays.toString(g.scale()) + (g.offset() != null ? " offset=" + Arrays.toString(g.offset()) : "")
                + (g.zeroPoint() != null ? " zero_point=" + Arrays.toString(g.zeroPoint()) : "");
    }

    /** The names of the layers stored with integer weights. */
    public static List<String> layers(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            return layers(f);
        }
    }

    private static List<String> layers(SafetensorsFile f) {
        if (!FORMAT.equals(f.metadata().get("format"))) {
            throw new IllegalArgumentException(f.path() + ": not a " + FORMAT + " file (format=" + f.metadata().get("format") + ")");
        }
        String s = f.metadata().getOrDefault("layers", "");
        if (s.isBlank()) {
            throw new SafetensorsException(String.valueOf(f.path()), null, "metadata 'layers' lists no integer layer; "
                    + "the file holds nothing to run in integers");
        }
        List<String> names = List.of(s.split(",", -1));
        if (new java.util.HashSet<>(names).size() != names.size()) {
            throw new SafetensorsException(String.valueOf(f.path()), null, "metadata 'layers' names a layer twice");
        }
        return names;
    }

    /**
     * The file as a float state dict: the integer weights dequantized under {@code L.weight},
     * every other entry as stored (quantizer state included).
     */
    public static Map<String, Tensor> readStateDict(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            List<String> layers = layers(f);
            Map<String, Tensor> out = new LinkedHashMap<>();
            java.util.Set<String> consumed = new java.util.HashSet<>();
            for (String layer : layers) {
                String p = layer + ".weight.";
                ExportedLayer spec = ExportedLayer.read(f, layer);
                int bits = spec.bits();
                int[] shape = spec.shape();
                int n = spec.numel();
                int codeMin = spec.codeMin();
                int codeMax = spec.codeMax();
                int axis = spec.axis();
                if (!f.contains(p + "codes")) {
                    throw ExportedLayer.problem(f, layer, p + "codes", "is missing");
                }
                TensorEntry codesEntry = f.get(p + "codes");
                byte[] raw = codesEntry.toByteArray();
                String storage = f.metadata().get(p + "storage");
                boolean packs = BitPacking.packs(bits);
                String expected = packs ? "packed" + bits : codesEntry.dtype().toString();
                if (!expected.equals(storage) || !packs && codesEntry.dtype() != DType.I8 && codesEntry.dtype() != DType.U8) {
                    throw ExportedLayer.problem(f, layer, p + "storage", "is '" + storage + "' for " + bits + "-bit codes stored as "
                            + codesEntry.dtype() + " (expected " + (packs ? expected : "I8 or U8") + ")");
                }
                long need = packs ? ((long) n * bits + 7) / 8 : n;
                if (raw.length != need) {
                    throw ExportedLayer.problem(f, layer, p + "codes", "has " + raw.length + " bytes; " + n + " codes of "
                            + bits + " bits take " + need);
                }
                int[] codes;
                if (packs) {
                    codes = BitPacking.unpack(raw, n, bits);
                    for (int k = 0; k < n; k++) {
                        codes[k] += codeMin;
                    }
                } else {
                    codes = new int[n];
                    boolean unsigned = codesEntry.dtype() == DType.U8;
                    for (int k = 0; k < n; k++) {
                        codes[k] = unsigned ? raw[k] & 0xFF : raw[k];
                    }
                }
                spec.checkCodes(f, codes);
                float[] scale = f.get(p + "scale").toFloatArray();
                float[] offset = f.contains(p + "offset") ? f.get(p + "offset").toFloatArray() : null;
                int[] zp = f.contains(p + "zero_point") ? f.get(p + "zero_point").toIntArray() : null;
                QuantGrid g = new QuantGrid(bits, codeMin, codeMax, axis, scale, offset, zp);
                out.put(layer + ".weight", Tensor.of(g.dequantize(codes, shape), shape));
                for (String s : new String[] {"codes", "scale", "offset", "zero_point"}) {
                    consumed.add(p + s);
                }
            }
            for (String name : f.names()) {
                if (!consumed.contains(name)) {
                    TensorEntry e = f.get(name);
                    float[] v = e.toFloatArray();
                    for (int i = 0; i < v.length; i++) {
                        if (!Float.isFinite(v[i])) {
                            throw new SafetensorsException(String.valueOf(f.path()), name, "holds " + v[i] + " at element " + i
                                    + "; an exported model's values must be finite");
                        }
                    }
                    out.put(name, Tensor.of(v, e.shape()));
                }
            }
            return out;
        }
    }

    /**
     * A model that computes what the exported one did: a copy of {@code template} (the same
     * architecture converted with the same config, e.g. {@code Qat.convert(fp, config)}) in which
     * every exported layer's weight quantizer is an {@link IdentityQuantizer} (the stored weights
     * are already on their grid, and some quantizers, DoReFa's, are not idempotent), loaded
     * strictly with the file's values.
     *
     * @throws IllegalArgumentException when the template was converted with other settings than the
     *                                  file records (another bit width or method for a layer's weights
     *                                  or input, or another set of quantized layers): its quantizers
     *                                  would read the file's steps on the wrong grid
     */
    public static <M extends Module> M load(Path file, M template) {
        M model = template.copy();
        List<String> layers = layers(file);
        Map<String, Tensor> state = readStateDict(file); // validates every layer's records before they are compared
        checkTemplate(file, model, layers);
        for (String layer : layers) {
            Module m = model.submodule(layer);
            Quantizer wq = QuantLayers.weightQuantizer(m);
            if (wq == null) {
                throw new IllegalArgumentException("load: " + layer + " is not a quantized layer in the template");
            }
            model.setSubmodule(layer + ".weight_quantizer", new IdentityQuantizer(wq.bits()));
        }
        state.keySet().removeIf(k -> layers.stream().anyMatch(l -> k.startsWith(l + ".weight_quantizer.")));
        model.loadStateDict(state, true);
        return model;
    }

    /**
     * The file records, per layer, the weight quantizer's method and bits and the input
     * quantizer's ({@code L.input_quantizer}); the template must agree on each and quantize the
     * same layers.
     */
    private static void checkTemplate(Path file, Module template, List<String> layers) {
        Map<String, String> md;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            md = f.metadata();
        }
        List<String> problems = new ArrayList<>();
        for (var e : template.namedModules().entrySet()) {
            Quantizer wq = QuantLayers.weightQuantizer(e.getValue());
            if (wq != null && !(wq instanceof IdentityQuantizer) && !layers.contains(e.getKey())) {
                problems.add(e.getKey() + " is quantized in the template (" + wq.method() + " " + wq.bits() + " bits) but not in the file");
            }
        }
        for (String layer : layers) {
            Module m;
            try {
                m = template.submodule(layer);
            } catch (RuntimeException ex) {
                problems.add("the file's layer " + layer + " is not in the template");
                continue;
            }
            Quantizer wq = QuantLayers.weightQuantizer(m);
            if (wq == null || wq instanceof IdentityQuantizer) {
                problems.add(layer + " is quantized in the file (" + md.get(layer + ".weight.method") + " "
                        + md.get(layer + ".weight.bits") + " bits) but not in the template");
                continue;
            }
            String fileWeight = md.get(layer + ".weight.method") + " " + md.get(layer + ".weight.bits") + " bits";
            String templateWeight = wq.method() + " " + wq.bits() + " bits";
            if (!fileWeight.equals(templateWeight)) {
                problems.add(layer + " weights: " + fileWeight + " in the file, " + templateWeight + " in the template");
            }
            Quantizer in = QuantLayers.inputQuantizer(m);
            String fileInput = inputSummary(md.get(layer + ".input_quantizer"));
            String templateInput = in == null ? "none" : in.method() + " " + in.bits() + " bits";
            if (!fileInput.equals(templateInput)) {
                problems.add(layer + " input: " + fileInput + " in the file, " + templateInput + " in the template");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(file + " was exported from a model quantized differently from the template ("
                    + String.join("; ", problems.subList(0, Math.min(3, problems.size())))
                    + (problems.size() > 3 ? "; and " + (problems.size() - 3) + " more" : "")
                    + "): convert the template with the QatConfig the model was trained with");
        }
    }

    /** "lsq 4 bits" from {@code L.input_quantizer}'s "lsq bits=4 levels=[...] ...", "none" as is. */
    private static String inputSummary(String recorded) {
        if (recorded == null || recorded.equals("none")) {
            return String.valueOf(recorded);
        }
        String[] words = recorded.split(" ");
        String bits = words.length > 1 && words[1].startsWith("bits=") ? words[1].substring("bits=".length()) : "?";
        return words[0] + " " + bits + " bits";
    }
}
