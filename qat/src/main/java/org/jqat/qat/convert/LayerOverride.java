package org.jqat.qat.convert;

import java.util.regex.Pattern;

/**
 * A per-layer change to {@link QatConfig}, matched on the dotted module name. The pattern is a
 * glob ({@code *} matches within one name segment, {@code **} across segments, {@code ?} one
 * character), e.g. {@code layer3.*.conv2}, or a Java regex when it starts with {@code re:}
 * (full match). Unset fields (null) leave the configured value. Giving bits makes the layer
 * quantized even where the first/last or shortcut policy would skip it, unless {@code skip} is
 * set; {@code activationBits(0)} leaves the input in float.
 */
public final class LayerOverride {
    private final String pattern;
    private final Pattern regex;
    private Integer weightBits;
    private Integer activationBits;
    private Boolean skip;
    private Boolean signedInput;

    private LayerOverride(String pattern) {
        this.pattern = pattern;
        this.regex = compile(pattern);
    }

    /** An override for layers whose name matches the glob (or {@code re:} regex). */
    public static LayerOverride of(String pattern) {
        return new LayerOverride(pattern);
    }

    static Pattern compile(String pattern) {
        if (pattern.startsWith("re:")) {
            return Pattern.compile(pattern.substring(3));
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '*') {
                if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '*') {
                    sb.append(".*");
                    i++;
                } else {
                    sb.append("[^.]*");
                }
            } else if (c == '?') {
                sb.append("[^.]");
            } else {
                sb.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(sb.toString());
    }

    public boolean matches(String layerName) {
        return regex.matcher(layerName).matches();
    }

    public String pattern() {
        return pattern;
    }

    public LayerOverride weightBits(int bits) {
        this.weightBits = org.jqat.qat.quant.QuantRange.checkBits(bits);
        return this;
    }

    /** Input bits, or 0 to leave the input in float. */
    public LayerOverride activationBits(int bits) {
        this.activationBits = bits == 0 ? 0 : org.jqat.qat.quant.QuantRange.checkBits(bits);
        return this;
    }

    /** Both weight and input bits. */
    public LayerOverride bits(int bits) {
        return weightBits(bits).activationBits(bits);
    }

    /** Leave the layer in float. */
    public LayerOverride skip() {
        this.skip = true;
        return this;
    }

    /** Quantize the layer even where a policy would skip it. */
    public LayerOverride quantize() {
        this.skip = false;
        return this;
    }

    /** Whether the layer's input may be negative (signed levels) or follows a ReLU (unsigned). */
    public LayerOverride signedInput(boolean signed) {
        this.signedInput = signed;
        return this;
    }

    Integer weightBits() {
        return weightBits;
    }

    Integer activationBits() {
        return activationBits;
    }

    Boolean skipValue() {
        return skip;
    }

    Boolean signedInputValue() {
        return signedInput;
    }

    @Override
    public String toString() {
        return "LayerOverride(" + pattern + (weightBits != null ? ", w=" + weightBits : "")
                + (activationBits != null ? ", a=" + activationBits : "") + (skip != null ? ", skip=" + skip : "")
                + (signedInput != null ? ", signed=" + signedInput : "") + ")";
    }
}
