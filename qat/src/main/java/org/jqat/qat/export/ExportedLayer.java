package org.jqat.qat.export;

import java.util.Arrays;
import java.util.Map;
import org.jqat.core.io.SafetensorsException;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.TensorEntry;

/**
 * One integer layer's metadata in a {@code jqat-qat/1} file, parsed and checked before any code
 * is used: a hand-edited or damaged file is refused naming the file, layer and field, instead of
 * running with codes outside their grid or a scale that is zero, negative or not finite.
 */
record ExportedLayer(String name, int bits, int[] shape, int numel, int codeMin, int codeMax, int axis) {

    static ExportedLayer read(SafetensorsFile f, String layer) {
        if (layer.isBlank()) {
            throw problem(f, layer, "layers", "lists an empty layer name");
        }
        Map<String, String> md = f.metadata();
        String p = layer + ".weight.";
        int bits = integer(f, layer, md, p + "bits");
        if (bits < 1 || bits > 8) {
            throw problem(f, layer, p + "bits", "is " + bits + "; integer weights have 1 to 8 bits");
        }
        String shapeText = md.get(p + "shape");
        if (shapeText == null || shapeText.isBlank()) {
            throw problem(f, layer, p + "shape", "is missing");
        }
        String[] dims = shapeText.split(",", -1);
        if (dims.length > 8) {
            throw problem(f, layer, p + "shape", "has " + dims.length + " dimensions");
        }
        int[] shape = new int[dims.length];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            try {
                shape[i] = Integer.parseInt(dims[i].trim());
            } catch (NumberFormatException e) {
                throw problem(f, layer, p + "shape", "'" + clip(shapeText) + "' is not a list of integers");
            }
            if (shape[i] < 1) {
                throw problem(f, layer, p + "shape", "'" + clip(shapeText) + "' has a dimension below 1");
            }
            numel *= shape[i];
            if (numel > Integer.MAX_VALUE) {
                throw problem(f, layer, p + "shape", "'" + clip(shapeText) + "' is too large");
            }
        }
        int codeMin = integer(f, layer, md, p + "code_min");
        int codeMax = integer(f, layer, md, p + "code_max");
        if (codeMin >= codeMax) {
            throw problem(f, layer, p + "code_min", codeMin + " is not below code_max " + codeMax);
        }
        if ((long) codeMax - codeMin > (1L << bits) - 1) {
            throw problem(f, layer, p + "code_max", "range [" + codeMin + ", " + codeMax + "] needs more than " + bits + " bits");
        }
        if (codeMin < -128 || codeMax > 255) {
            throw problem(f, layer, p + "code_min", "range [" + codeMin + ", " + codeMax + "] does not fit a byte");
        }
        int axis = integer(f, layer, md, p + "axis");
        if (axis < -1 || axis >= shape.length) {
            throw problem(f, layer, p + "axis", "is " + axis + "; expected -1 (per tensor) or a dimension of " + Arrays.toString(shape));
        }
        ExportedLayer l = new ExportedLayer(layer, bits, shape, (int) numel, codeMin, codeMax, axis);
        l.checkScale(f);
        return l;
    }

    /** Values per scale entry: 1 per tensor, else the size of {@code axis}. */
    int channels() {
        return axis < 0 ? 1 : shape[axis];
    }

    private void checkScale(SafetensorsFile f) {
        String key = name + ".weight.scale";
        if (!f.contains(key)) {
            throw problem(f, name, key, "is missing");
        }
        float[] scale = f.get(key).toFloatArray();
        if (scale.length != channels()) {
            throw problem(f, name, key, "has " + scale.length + " values for " + channels() + " channels");
        }
        for (int i = 0; i < scale.length; i++) {
            if (!(scale[i] > 0) || !Float.isFinite(scale[i])) {
                throw problem(f, name, key, "value " + i + " is " + scale[i] + "; scales must be positive and finite");
            }
        }
        for (String extra : new String[] {"offset", "zero_point"}) {
            String k = name + ".weight." + extra;
            if (f.contains(k)) {
                TensorEntry e = f.get(k);
                if (e.numel() != channels()) {
                    throw problem(f, name, k, "has " + e.numel() + " values for " + channels() + " channels");
                }
                for (float v : e.toFloatArray()) {
                    if (!Float.isFinite(v)) {
                        throw problem(f, name, k, "holds " + v);
                    }
                }
            }
        }
    }

    /** Refuses a code outside {@code [codeMin, codeMax]}: it would decode to a weight no quantizer produced. */
    void checkCodes(SafetensorsFile f, int[] codes) {
        for (int i = 0; i < codes.length; i++) {
            if (codes[i] < codeMin || codes[i] > codeMax) {
                throw problem(f, name, name + ".weight.codes", "element " + i + " is " + codes[i] + ", outside ["
                        + codeMin + ", " + codeMax + "] of " + bits + " bits");
            }
        }
    }

    private static int integer(SafetensorsFile f, String layer, Map<String, String> md, String key) {
        String v = md.get(key);
        if (v == null) {
            throw problem(f, layer, key, "is missing");
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw problem(f, layer, key, "'" + clip(v) + "' is not an integer");
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    static SafetensorsException problem(SafetensorsFile f, String layer, String key, String what) {
        return new SafetensorsException(String.valueOf(f.path()), null, "integer layer " + clip(layer) + ": " + clip(key) + " " + what);
    }
}
