package org.jqat.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {

    @Test
    void parsesAllValueKinds() {
        Object v = Json.parse(" {\"a\": [1, -2, 3.5, -0.25e2, true, false, null], \"b\": {}, \"c\": [], \"d\": \"x\"}\n");
        Map<?, ?> m = assertInstanceOf(Map.class, v);
        assertEquals(List.of("a", "b", "c", "d"), List.copyOf(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2L, a.get(1));
        assertEquals(3.5, a.get(2));
        assertEquals(-25.0, a.get(3));
        assertEquals(Boolean.TRUE, a.get(4));
        assertEquals(Boolean.FALSE, a.get(5));
        assertNull(a.get(6));
        assertEquals(Map.of(), m.get("b"));
        assertEquals(List.of(), m.get("c"));
        assertEquals("x", m.get("d"));
    }

    @Test
    void keepsKeyOrder() {
        Map<?, ?> m = (Map<?, ?>) Json.parse("{\"z\":1,\"a\":2,\"m\":3,\"b\":4}");
        assertEquals(List.of("z", "a", "m", "b"), List.copyOf(m.keySet()));
    }

    @Test
    void numbersAtLongLimitsAndBeyond() {
        assertEquals(Long.MAX_VALUE, Json.parse("9223372036854775807"));
        assertEquals(Long.MIN_VALUE, Json.parse("-9223372036854775808"));
        assertEquals(999999999999999999L, Json.parse("999999999999999999"));
        // Past the long range an integer degrades to a double rather than failing or wrapping.
        assertEquals(9.223372036854775808E18, Json.parse("9223372036854775808"));
        assertEquals(0L, Json.parse("0"));
        assertEquals(0L, Json.parse("-0"));
        assertEquals(1e300, Json.parse("1E+300"));
        assertEquals(Double.class, Json.parse("1.0").getClass());
        assertEquals(Double.class, Json.parse("1e0").getClass());
    }

    @Test
    void decodesEveryEscape() {
        assertEquals("\" \\ / \b \f \n \r \t A é", Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00e9\""));
        assertEquals("\uD83D\uDE00", Json.parse("\"\\uD83D\\uDE00\""));   // surrogate pair -> one code point
        assertEquals("😀ü", Json.parse("\"😀ü\""));                         // raw non-ASCII passes through
        assertEquals("ab\u00FFcd", Json.parse("\"ab\\u00FFcd\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"a\":}", "{a:1}",
            "{'a':1}", "[1 2]", "01", "-", "-a", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity",
            "tru", "nul", "falsey", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\nb\"", "\"\\uD800\"",
            "\"\\uDC00\"", "\"\\uD800\\u0041\"", "\"\\uD800x\"", "{} {}", "1 2", "[1]]", "{\"a\":1,\"a\":2}",
            "// c\n1", "[1] // c", "\u00A01", "\"\\u０１２３\""
    })
    void rejectsMalformed(String text) {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().startsWith("JSON error at position " + e.position() + ": "), e.getMessage());
        assertTrue(e.position() >= 0 && e.position() <= text.length(), "position " + e.position());
    }

    @Test
    void errorPositionPointsAtTheProblem() {
        assertEquals(7, assertThrows(Json.ParseException.class, () -> Json.parse("{\"a\":1 \"b\":2}")).position());
        assertEquals(8, assertThrows(Json.ParseException.class, () -> Json.parse("{\"a\":1, \"a\":2}")).position());
        Json.ParseException dup = assertThrows(Json.ParseException.class, () -> Json.parse("{\"k\":null,\"k\":null}"));
        assertTrue(dup.getMessage().contains("duplicate key \"k\""), dup.getMessage());
    }

    @Test
    void limitsNestingDepth() {
        String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertInstanceOf(List.class, Json.parse(ok));
        String tooDeep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(tooDeep));
        assertTrue(e.getMessage().contains("nesting"), e.getMessage());
        // A hostile million-deep document must fail fast, not overflow the stack.
        String hostile = "{\"a\":".repeat(1_000_000);
        assertThrows(Json.ParseException.class, () -> Json.parse(hostile));
        String hostileArrays = "[".repeat(1_000_000);
        assertThrows(Json.ParseException.class, () -> Json.parse(hostileArrays));
    }

    @Test
    void writesAndReadsBack() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "quote\" back\\ nl\n tab\t ctrl\u0001 del\u007F é 😀");
        m.put("i", 42);
        m.put("l", -7L);
        m.put("d", 0.1);
        m.put("b", true);
        m.put("n", null);
        m.put("list", List.of(1L, List.of(), Map.of()));
        String text = Json.write(m);
        assertFalse(text.contains("\n"), text);
        assertTrue(text.contains("\\u0001"), text);
        Map<?, ?> back = (Map<?, ?>) Json.parse(text);
        assertEquals(m.get("s"), back.get("s"));
        assertEquals(42L, back.get("i"));
        assertEquals(-7L, back.get("l"));
        assertEquals(0.1, back.get("d"));
        assertEquals(true, back.get("b"));
        assertTrue(back.containsKey("n") && back.get("n") == null);
        assertEquals(List.of(1L, List.of(), Map.of()), back.get("list"));
        assertEquals("{\"a\":[1,2],\"b\":\"c\"}", Json.write(orderedAB()));
    }

    private static Map<String, Object> orderedAB() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", List.of(1, 2));
        m.put("b", "c");
        return m;
    }

    @Test
    void writerRejectsWhatJsonCannotHold() {
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write("lone \uD800 surrogate"));
        assertThrows(IllegalArgumentException.class, () -> Json.write(new Object()));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(1, 2)));
    }

    @Test
    void parsesLargeDocumentQuickly() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < 100_000; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("\"layer").append(i).append(".weight\":{\"dtype\":\"F32\",\"shape\":[64,64],\"data_offsets\":[")
                    .append(i * 16384L).append(',').append((i + 1) * 16384L).append("]}");
        }
        String text = sb.append('}').toString();
        long t0 = System.nanoTime();
        Map<?, ?> m = (Map<?, ?>) Json.parse(text);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(100_000, m.size());
        assertEquals(List.of(16384L * 99_999, 16384L * 100_000),
                ((Map<?, ?>) m.get("layer99999.weight")).get("data_offsets"));
        // ~10 MB of header; generous bound so slow CI machines do not flake.
        assertTrue(ms < 5_000, "took " + ms + " ms");
        assertEquals(Arrays.asList(64L, 64L), ((Map<?, ?>) m.get("layer0.weight")).get("shape"));
    }
}
