package org.jqat.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jqat.core.Tensor;

/**
 * What a state-dict load found: keys the module has but the source lacks ({@code missing}),
 * keys the source has but the module lacks ({@code unexpected}), and keys present in both with
 * different shapes ({@code mismatched}, each "key: [shape in source] vs [shape in module]").
 */
public record LoadReport(List<String> missing, List<String> unexpected, List<String> mismatched) {

    /** Keys PyTorch writes that this engine tolerates without keeping them. */
    static boolean ignorable(String key) {
        return key.endsWith("num_batches_tracked");
    }

    /** Compares the module's own entries with a source state dict. */
    public static LoadReport compare(Map<String, Tensor> own, Map<String, Tensor> source) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (var e : own.entrySet()) {
            Tensor src = source.get(e.getKey());
            if (src == null) {
                missing.add(e.getKey());
            } else if (!Arrays.equals(src.shape(), e.getValue().shape())) {
                mismatched.add(e.getKey() + ": " + Arrays.toString(src.shape()) + " in source vs "
                        + Arrays.toString(e.getValue().shape()) + " in module");
            }
        }
        for (String k : source.keySet()) {
            if (!own.containsKey(k) && !ignorable(k)) {
                unexpected.add(k);
            }
        }
        return new LoadReport(List.copyOf(missing), List.copyOf(unexpected), List.copyOf(mismatched));
    }

    /** True when every key matched by name and shape. */
    public boolean isClean() {
        return missing.isEmpty() && unexpected.isEmpty() && mismatched.isEmpty();
    }

    @Override
    public String toString() {
        if (isClean()) {
            return "all keys matched";
        }
        StringBuilder sb = new StringBuilder();
        if (!missing.isEmpty()) {
            sb.append("missing keys: ").append(firstFew(missing));
        }
        if (!unexpected.isEmpty()) {
            sb.append(sb.isEmpty() ? "" : "; ").append("unexpected keys: ").append(firstFew(unexpected));
        }
        if (!mismatched.isEmpty()) {
            sb.append(sb.isEmpty() ? "" : "; ").append("shape mismatches: ").append(firstFew(mismatched));
        }
        return sb.toString();
    }

    /** At most ten keys and a count of the rest: a hostile file can hold a million names. */
    private static String firstFew(List<String> keys) {
        int shown = Math.min(keys.size(), 10);
        String head = String.join(", ", keys.subList(0, shown).stream()
                .map(k -> k.length() > 120 ? k.substring(0, 120) + "..." : k).toList());
        return "[" + head + (keys.size() > shown ? ", ... and " + (keys.size() - shown) + " more" : "") + "]";
    }
}
