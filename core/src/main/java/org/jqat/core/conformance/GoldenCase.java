package org.jqat.core.conformance;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jqat.core.Tensor;
import org.jqat.core.io.SafetensorsFile;
import org.jqat.core.io.TensorEntry;

/**
 * One golden case: a safetensors file whose {@code __metadata__} names the op ({@code op}) and
 * its attributes (every other entry, as strings), and whose tensors are inputs and expected
 * outputs computed with PyTorch.
 */
public final class GoldenCase {
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");

    private final SafetensorsFile file;
    private final Map<String, String> attributes;

    public GoldenCase(SafetensorsFile file) {
        this.file = file;
        this.attributes = file.metadata();
    }

    public Path path() {
        return file.path();
    }

    public String fileName() {
        return file.path() == null ? "<memory>" : file.path().getFileName().toString();
    }

    /** The op name, or null when the file has none. */
    public String op() {
        return attributes.get("op");
    }

    public boolean hasAttr(String name) {
        return attributes.containsKey(name);
    }

    public String attr(String name) {
        String v = attributes.get(name);
        if (v == null) {
            throw new IllegalArgumentException(fileName() + ": missing attribute '" + name + "' for op " + op());
        }
        return v.trim();
    }

    public String attr(String name, String fallback) {
        return hasAttr(name) ? attr(name) : fallback;
    }

    public double attrDouble(String name) {
        try {
            return Double.parseDouble(attr(name));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(fileName() + ": attribute '" + name + "' = '" + attr(name) + "' is not a number");
        }
    }

    public double attrDouble(String name, double fallback) {
        return hasAttr(name) ? attrDouble(name) : fallback;
    }

    public int attrInt(String name) {
        int[] v = attrInts(name);
        if (v.length != 1) {
            throw new IllegalArgumentException(fileName() + ": attribute '" + name + "' = '" + attr(name) + "' is not one integer");
        }
        return v[0];
    }

    public int attrInt(String name, int fallback) {
        return hasAttr(name) ? attrInt(name) : fallback;
    }

    /** Every integer in the attribute: "2", "(2, 1)" and "[2,1]" all work. */
    public int[] attrInts(String name) {
        Matcher m = INTEGER.matcher(attr(name));
        int[] out = new int[0];
        while (m.find()) {
            out = java.util.Arrays.copyOf(out, out.length + 1);
            out[out.length - 1] = Integer.parseInt(m.group());
        }
        if (out.length == 0) {
            throw new IllegalArgumentException(fileName() + ": attribute '" + name + "' = '" + attr(name) + "' holds no integer");
        }
        return out;
    }

    public int[] attrInts(String name, int... fallback) {
        return hasAttr(name) ? attrInts(name) : fallback;
    }

    /** "true"/"false" (any case), "1"/"0". */
    public boolean attrBool(String name) {
        String v = attr(name).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new IllegalArgumentException(fileName() + ": attribute '" + name + "' = '" + v + "' is not a boolean");
        };
    }

    public boolean attrBool(String name, boolean fallback) {
        return hasAttr(name) ? attrBool(name) : fallback;
    }

    public boolean has(String tensor) {
        return file.contains(tensor);
    }

    public TensorEntry entry(String name) {
        return file.get(name);
    }

    /** A tensor as float32, in its stored shape. */
    public Tensor tensor(String name) {
        TensorEntry e = file.get(name);
        return Tensor.of(e.toFloatArray(), e.shape());
    }

    /** A tensor as float32, or null when absent. */
    public Tensor optionalTensor(String name) {
        return has(name) ? tensor(name) : null;
    }

    /** An integer tensor (labels) as ints. */
    public int[] ints(String name) {
        return file.get(name).toIntArray();
    }

    public SafetensorsFile file() {
        return file;
    }
}
