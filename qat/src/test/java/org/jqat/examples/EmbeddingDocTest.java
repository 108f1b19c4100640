package org.jqat.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every Java snippet of {@code docs/embedding.md} is cut from a program that {@link ExamplesTest}
 * compiles and runs: each is marked {@code <!-- snippet: NAME (FILE) -->}, and its lines must
 * appear, in order, between {@code // [snippet:NAME]} and {@code // [/snippet]} in that file (the
 * program may hold extra bookkeeping lines between them).
 */
class EmbeddingDocTest {
    private static final Path DOC = Path.of("../docs/embedding.md");
    private static final Path EXAMPLES = Path.of("src/test/java/org/jqat/examples");
    private static final Pattern MARKED = Pattern.compile("<!-- snippet: ([\\w-]+) \\((\\w+\\.java)\\) -->\\n```java\\n(.*?)```",
            Pattern.DOTALL);

    @Test
    void everySnippetIsCutFromARunExample() throws IOException {
        String doc = Files.readString(DOC);
        int javaBlocks = doc.split("```java", -1).length - 1;
        Matcher m = MARKED.matcher(doc);
        int checked = 0;
        while (m.find()) {
            String name = m.group(1);
            List<String> source = region(Files.readString(EXAMPLES.resolve(m.group(2))), name, m.group(2));
            List<String> snippet = meaningful(m.group(3));
            int at = 0;
            for (String line : snippet) {
                while (at < source.size() && !source.get(at).equals(line)) {
                    at++;
                }
                if (at == source.size()) {
                    fail("snippet '" + name + "' line not found (in order) in " + m.group(2) + ": " + line);
                }
                at++;
            }
            checked++;
        }
        assertEquals(javaBlocks, checked, "every ```java block of the page carries a snippet marker");
        assertTrue(checked >= 4, "snippets checked: " + checked);
    }

    private static List<String> region(String source, String name, String file) {
        String open = "// [snippet:" + name + "]";
        int from = source.indexOf(open);
        int to = source.indexOf("// [/snippet]", from + 1);
        if (from < 0 || to < 0) {
            fail(file + " has no region " + open + " ... // [/snippet]");
        }
        return meaningful(source.substring(from + open.length(), to));
    }

    private static List<String> meaningful(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }
}
