package org.jqat.qat.infer;

import java.util.Map;
import org.jqat.core.io.DType;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.TensorEntry;

/**
 * Reads one exported layer's integer weight from a {@code jqat-qat/1} file: codes (packed 1/2/4
 * bits kept packed, or I8), the per-tensor / per-channel (axis 0) scale. Zero points, offsets and
 * codes outside a signed byte are refused with the layer's name.
 */
record LayerWeights(WeightCodes codes, float[] scale) {

    static LayerWeights read(SafetensorsFile f, String layer, int rows, int cols) {
        String p = layer + ".weight.";
        Map<String, String> md = f.metadata();
        if (!md.containsKey(p + "bits")) {
            throw new IllegalArgumentException("integer inference: " + f.path() + " has no integer weight for layer " + layer);
        }
        int bits = Integer.parseInt(md.get(p + "bits"));
        int codeMin = Integer.parseInt(md.get(p + "code_min"));
        int codeMax = Integer.parseInt(md.get(p + "code_max"));
        int axis = Integer.parseInt(md.get(p + "axis"));
        if (f.contains(p + "offset") || f.contains(p + "zero_point")) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " (" + md.get(p + "method")
                    + ") has a weight offset or zero point; only symmetric weights (LSQ, min/max) run in integers");
        }
        if (codeMin < -128 || codeMax > 127) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " weight codes [" + codeMin + ", " + codeMax
                    + "] do not fit a signed byte");
        }
        if (axis > 0) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " weight scale along axis " + axis + " (unsupported)");
        }
        float[] scale = f.get(p + "scale").toFloatArray();
        if (scale.length != 1 && scale.length != rows) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " has " + scale.length + " scales for " + rows + " channels");
        }
        TensorEntry e = f.get(p + "codes");
        byte[] raw = e.toByteArray();
        boolean packed = md.get(p + "storage").startsWith("packed");
        if (!packed && e.dtype() != DType.I8 && e.dtype() != DType.U8) {
            throw new IllegalArgumentException("integer inference: layer " + layer + " codes are " + e.dtype());
        }
        return new LayerWeights(new WeightCodes(rows, cols, bits, codeMin, packed, raw), scale);
    }

    float scale(int c) {
        return scale[scale.length == 1 ? 0 : c];
    }
}
