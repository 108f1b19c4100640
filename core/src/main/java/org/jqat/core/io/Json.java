package org.jqat.core.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer, just enough for safetensors headers.
 *
 * <p>Parsing yields {@code Map<String,Object>} (a {@link LinkedHashMap}, so key order is kept),
 * {@code List<Object>}, {@link String}, {@link Long} (integers without fraction or exponent that
 * fit in a long), {@link Double} (every other number), {@link Boolean} and {@code null}.
 *
 * <p>It is strict on purpose because headers come from untrusted files: no comments, no trailing
 * commas, no leading zeros, no lone surrogates, no raw control characters in strings, no
 * duplicate object keys, nothing after the top-level value but whitespace. Nesting is limited to
 * {@link #MAX_DEPTH} so hostile input cannot overflow the stack.
 */
public final class Json {

    /** Deepest nesting of objects and arrays that {@link #parse} accepts. */
    public static final int MAX_DEPTH = 64;

    private Json() {
    }

    /** Malformed JSON; the message and {@link #position()} say where. */
    public static final class ParseException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int position;

        ParseException(int position, String problem) {
            super("JSON error at position " + position + ": " + problem);
            this.position = position;
        }

        /** Index of the offending character in the parsed text (0-based). */
        public int position() {
            return position;
        }
    }

    /**
     * Parses one JSON document.
     *
     * @throws ParseException if the text is not exactly one valid JSON value (surrounded by
     *                        optional whitespace) or nests deeper than {@link #MAX_DEPTH}
     */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.skipWhitespace();
        Object value = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.error("unexpected " + describe(text.charAt(p.pos)) + " after the JSON value");
        }
        return value;
    }

    /**
     * Writes a value compactly (no whitespace). Accepts maps with string keys, lists, strings,
     * booleans, {@code null} and finite numbers ({@link Long}, {@link Integer}, {@link Short},
     * {@link Byte}, {@link Double}, {@link Float}).
     *
     * @throws IllegalArgumentException for other types, non-finite numbers or strings holding a
     *                                  lone surrogate (which has no UTF-8 encoding)
     */
    public static String write(Object value) {
        StringBuilder out = new StringBuilder(256);
        writeValue(value, out, 0);
        return out.toString();
    }

    private static void writeValue(Object value, StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            // Same limit as the reader: anything deeper could not be read back.
            throw new IllegalArgumentException("JSON value nests deeper than " + MAX_DEPTH);
        }
        switch (value) {
            case null -> out.append("null");
            case String s -> writeString(s, out);
            case Boolean b -> out.append(b.booleanValue());
            case Long l -> out.append(l.longValue());
            case Integer i -> out.append(i.intValue());
            case Short s -> out.append(s.shortValue());
            case Byte b -> out.append(b.byteValue());
            case Double d -> writeDouble(d, out);
            case Float f -> writeDouble(f.doubleValue(), out);
            case Map<?, ?> map -> {
                out.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String key)) {
                        throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                    }
                    if (!first) {
                        out.append(',');
                    }
                    first = false;
                    writeString(key, out);
                    out.append(':');
                    writeValue(e.getValue(), out, depth + 1);
                }
                out.append('}');
            }
            case List<?> list -> {
                out.append('[');
                for (int i = 0; i < list.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    writeValue(list.get(i), out, depth + 1);
                }
                out.append(']');
            }
            default -> throw new IllegalArgumentException(
                    "cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    private static void writeDouble(double d, StringBuilder out) {
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException("JSON has no representation for " + d);
        }
        out.append(d);   // Double.toString gives e.g. 1.0E10, which is valid JSON
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static void writeString(String s, StringBuilder out) {
        out.append('"');
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append("\\u00").append(HEX[c >> 4]).append(HEX[c & 0xF]);
                    } else if (Character.isSurrogate(c)) {
                        // A valid pair is written raw (it becomes one 4-byte UTF-8 sequence);
                        // a lone half would silently turn into '?' when encoded, so refuse it.
                        if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else {
                            throw new IllegalArgumentException("string has a lone surrogate at index " + i);
                        }
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    static String describe(char c) {
        if (c >= 0x20 && c < 0x7F) {
            return "'" + c + "'";
        }
        return String.format("character U+%04X", (int) c);
    }

    /** Recursive-descent parser over a String; one instance per document. */
    private static final class Parser {
        private final String s;
        private final int len;
        private int pos;

        Parser(String s) {
            this.s = s;
            this.len = s.length();
        }

        ParseException error(String problem) {
            return new ParseException(pos, problem);
        }

        void skipWhitespace() {
            while (pos < len) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                    return;
                }
                pos++;
            }
        }

        Object value(int depth) {
            if (pos >= len) {
                throw error("unexpected end of input, expected a value");
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        yield number();
                    }
                    throw error("unexpected " + describe(c) + ", expected a value");
                }
            };
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw error("nesting deeper than " + MAX_DEPTH + " levels");
            }
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++; // '{'
            Map<String, Object> map = new LinkedHashMap<>();
            skipWhitespace();
            if (pos < len && s.charAt(pos) == '}') {
                pos++;
                return map;
            }
            while (true) {
                if (pos >= len || s.charAt(pos) != '"') {
                    throw error(pos >= len ? "unexpected end of input, expected an object key"
                            : "unexpected " + describe(s.charAt(pos)) + ", expected an object key");
                }
                int keyPos = pos;
                String key = string();
                if (map.containsKey(key)) {
                    // Readers disagree on which duplicate wins, so a header could mean two things.
                    throw new ParseException(keyPos, "duplicate key \"" + abbreviate(key) + "\"");
                }
                skipWhitespace();
                expect(':', "after object key");
                skipWhitespace();
                map.put(key, value(depth));
                skipWhitespace();
                if (pos >= len) {
                    throw error("unexpected end of input, expected ',' or '}'");
                }
                char c = s.charAt(pos++);
                if (c == '}') {
                    return map;
                }
                if (c != ',') {
                    pos--;
                    throw error("unexpected " + describe(c) + ", expected ',' or '}'");
                }
                skipWhitespace();
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++; // '['
            List<Object> list = new ArrayList<>();
            skipWhitespace();
            if (pos < len && s.charAt(pos) == ']') {
                pos++;
                return list;
            }
            while (true) {
                list.add(value(depth));
                skipWhitespace();
                if (pos >= len) {
                    throw error("unexpected end of input, expected ',' or ']'");
                }
                char c = s.charAt(pos++);
                if (c == ']') {
                    return list;
                }
                if (c != ',') {
                    pos--;
                    throw error("unexpected " + describe(c) + ", expected ',' or ']'");
                }
                skipWhitespace();
            }
        }

        private void expect(char expected, String where) {
            if (pos >= len) {
                throw error("unexpected end of input, expected '" + expected + "' " + where);
            }
            char c = s.charAt(pos);
            if (c != expected) {
                throw error("unexpected " + describe(c) + ", expected '" + expected + "' " + where);
            }
            pos++;
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) {
                throw error("invalid literal, expected '" + word + "'");
            }
            pos += word.length();
            return value;
        }

        private String string() {
            int start = ++pos; // after the opening quote
            // Fast path: no escapes, the common case for headers.
            while (pos < len) {
                char c = s.charAt(pos);
                if (c == '"') {
                    return s.substring(start, pos++);
                }
                if (c == '\\' || c < 0x20) {
                    break;
                }
                pos++;
            }
            StringBuilder sb = new StringBuilder(pos - start + 16);
            sb.append(s, start, pos);
            while (true) {
                if (pos >= len) {
                    throw error("unterminated string");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    pos++;
                    return sb.toString();
                }
                if (c < 0x20) {
                    throw error("raw control character U+" + String.format("%04X", (int) c) + " in string (must be escaped)");
                }
                if (c != '\\') {
                    sb.append(c);
                    pos++;
                    continue;
                }
                pos++;
                if (pos >= len) {
                    throw error("unterminated escape sequence");
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    case '/' -> sb.append('/');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> unicodeEscape(sb);
                    default -> {
                        pos--;
                        throw error("invalid escape \\" + (e >= 0x20 && e < 0x7F ? String.valueOf(e) : describe(e)));
                    }
                }
            }
        }

        /** Reads the XXXX of a backslash-u escape (pos is just after the 'u'), joining surrogate pairs. */
        private void unicodeEscape(StringBuilder sb) {
            int escapeStart = pos - 2;
            char c = (char) hex4();
            if (Character.isHighSurrogate(c)) {
                if (pos + 1 < len && s.charAt(pos) == '\\' && s.charAt(pos + 1) == 'u') {
                    pos += 2;
                    char low = (char) hex4();
                    if (!Character.isLowSurrogate(low)) {
                        throw new ParseException(escapeStart, "high surrogate \\u" + hex(c)
                                + " followed by \\u" + hex(low) + ", which is not a low surrogate");
                    }
                    sb.append(c).append(low);
                    return;
                }
                throw new ParseException(escapeStart, "lone high surrogate \\u" + hex(c));
            }
            if (Character.isLowSurrogate(c)) {
                throw new ParseException(escapeStart, "lone low surrogate \\u" + hex(c));
            }
            sb.append(c);
        }

        private static String hex(char c) {
            return String.format("%04X", (int) c);
        }

        private int hex4() {
            if (pos + 4 > len) {
                throw error("truncated \\u escape");
            }
            int v = 0;
            for (int i = 0; i < 4; i++) {
                char h = s.charAt(pos);
                int d = Character.digit(h, 16);
                // Character.digit accepts non-ASCII digits too; JSON allows only [0-9a-fA-F].
                if (d < 0 || h > 'f') {
                    throw error("invalid hex digit " + describe(h) + " in \\u escape");
                }
                v = (v << 4) | d;
                pos++;
            }
            return v;
        }

        private Object number() {
            int start = pos;
            boolean negative = false;
            if (s.charAt(pos) == '-') {
                negative = true;
                pos++;
            }
            if (pos >= len) {
                throw error("unexpected end of input in number");
            }
            char c = s.charAt(pos);
            if (c == '0') {
                pos++;
                if (pos < len && isDigit(s.charAt(pos))) {
                    throw error("leading zeros are not allowed in numbers");
                }
            } else if (c >= '1' && c <= '9') {
                while (pos < len && isDigit(s.charAt(pos))) {
                    pos++;
                }
            } else {
                throw error("expected a digit in number, got " + describe(c));
            }
            int intEnd = pos;
            boolean integral = true;
            if (pos < len && s.charAt(pos) == '.') {
                integral = false;
                pos++;
                requireDigits("after the decimal point");
            }
            if (pos < len && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
                integral = false;
                pos++;
                if (pos < len && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
                    pos++;
                }
                requireDigits("in the exponent");
            }
            if (integral) {
                int digitsStart = negative ? start + 1 : start;
                int digits = intEnd - digitsStart;
                if (digits <= 18) {
                    // Cannot overflow: at most 18 decimal digits < 2^63.
                    long v = 0;
                    for (int i = digitsStart; i < intEnd; i++) {
                        v = v * 10 + (s.charAt(i) - '0');
                    }
                    return negative ? -v : v;
                }
                try {
                    return Long.parseLong(s, start, intEnd, 10);
                } catch (NumberFormatException overflow) {
                    // Out of long range: keep it as an (approximate) double, like most JSON readers.
                }
            }
            return Double.parseDouble(s.substring(start, pos));
        }

        private void requireDigits(String where) {
            int digitsStart = pos;
            while (pos < len && isDigit(s.charAt(pos))) {
                pos++;
            }
            if (pos == digitsStart) {
                throw error("expected a digit " + where);
            }
        }

        private static boolean isDigit(char c) {
            return c >= '0' && c <= '9';
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
