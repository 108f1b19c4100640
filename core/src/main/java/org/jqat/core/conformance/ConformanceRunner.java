package org.jqat.core.conformance;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jqat.core.backend.Backend;
import org.jqat.core.backend.Backends;
import org.jqat.core.io.SafetensorsFile;

/**
 * Runs every golden case under a directory against the engine: dispatches on the {@code op}
 * metadata to a {@link CaseHandler}, prints one line per case and a closing
 * {@code N passed, M failed, K skipped} line. Cases whose op no handler knows are skipped and
 * their op names listed.
 */
public final class ConformanceRunner {
    private final Map<String, CaseHandler> handlers = new HashMap<>();

    /** A runner with every handler found on the class path. */
    public ConformanceRunner() {
        for (CaseHandler h : ServiceLoader.load(CaseHandler.class)) {
            register(h);
        }
    }

    public ConformanceRunner register(CaseHandler handler) {
        for (String op : handler.ops()) {
            handlers.put(op, handler);
        }
        return this;
    }

    /** Totals of one run, with the result of every case in file order. */
    public record Summary(int passed, int failed, int skipped, List<String> skippedOps, Map<String, CaseResult> results) {
        public String closingLine() {
            return passed + " passed, " + failed + " failed, " + skipped + " skipped";
        }
    }

    /** Runs on the given backend (host ops), printing to {@code out}. */
    public Summary run(Path dir, Backend backend, PrintStream out) {
        try (Backends.Scope ignored = Backends.using(backend)) {
            return run(dir, out);
        }
    }

    /** Runs on the current backend, printing to {@code out}. */
    public Summary run(Path dir, PrintStream out) {
        List<Path> files = caseFiles(dir);
        int passed = 0;
        int failed = 0;
        int skipped = 0;
        TreeSet<String> skippedOps = new TreeSet<>();
        Map<String, CaseResult> results = new java.util.LinkedHashMap<>();
        for (Path file : files) {
            String rel = dir.relativize(file).toString();
            String op = "?";
            CaseResult r;
            try (SafetensorsFile sf = SafetensorsFile.open(file)) {
                GoldenCase c = new GoldenCase(sf);
                op = c.op();
                if (op == null) {
                    r = CaseResult.fail("no 'op' entry in __metadata__");
                    op = "?";
                } else {
                    CaseHandler h = handlers.get(op);
                    if (h == null) {
                        r = CaseResult.skip("op '" + op + "' is not implemented");
                        skippedOps.add(op);
                    } else {
                        r = h.run(c);
                    }
                }
            } catch (RuntimeException | AssertionError e) {
                r = CaseResult.fail(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            switch (r.status()) {
                case PASS -> passed++;
                case FAIL -> failed++;
                case SKIP -> skipped++;
            }
            results.put(rel, r);
            out.println(format(rel, op, r));
        }
        if (!skippedOps.isEmpty()) {
            out.println("skipped ops (not implemented): " + String.join(", ", skippedOps));
        }
        Summary s = new Summary(passed, failed, skipped, List.copyOf(skippedOps), results);
        out.println(s.closingLine());
        return s;
    }

    private static String format(String file, String op, CaseResult r) {
        String line = String.format(Locale.ROOT, "%-4s %-36s %-16s", r.status(), file, op);
        if (r.status() != CaseResult.Status.SKIP && !Double.isNaN(r.maxAbsError())) {
            line += String.format(Locale.ROOT, " max_abs=%.3e max_rel=%.3e", r.maxAbsError(), r.maxRelError());
        }
        if (r.detail() != null && !r.detail().isEmpty()) {
            line += "  " + r.detail();
        }
        return line.stripTrailing();
    }

    /** Every {@code *.safetensors} file under dir, sorted by path. */
    static List<Path> caseFiles(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("conformance: " + dir + " is not a directory");
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            List<Path> files = new ArrayList<>(walk.filter(p -> p.toString().endsWith(".safetensors") && Files.isRegularFile(p)).toList());
            files.sort(null);
            return files;
        } catch (IOException e) {
            throw new UncheckedIOException("conformance: cannot list " + dir, e);
        }
    }
}
