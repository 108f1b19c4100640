package org.jqat.qat.reproduce;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The Markdown table of a reproduction: our mean ± std over seeds, with published anchors in their own column. */
public final class ResultsTable {
    private ResultsTable() {
    }

    /** One row: a method at one bit width, over its seeds. */
    public record Row(String method, String bits, int seeds, double mean, double std, double imagesPerSecond, Double published) {
    }

    public static List<Row> rows(List<RunRecord> runs, Preset preset) {
        Map<String, List<RunRecord>> groups = new LinkedHashMap<>();
        for (RunRecord r : runs) {
            groups.computeIfAbsent(r.method() + "|" + r.bitsLabel(), k -> new ArrayList<>()).add(r);
        }
        List<Row> rows = new ArrayList<>();
        for (List<RunRecord> g : groups.values()) {
            RunRecord first = g.get(0);
            double mean = g.stream().mapToDouble(RunRecord::top1).average().orElse(Double.NaN);
            double var = g.stream().mapToDouble(r -> (r.top1() - mean) * (r.top1() - mean)).sum() / Math.max(1, g.size() - 1);
            double ips = g.stream().mapToDouble(RunRecord::imagesPerSecond).average().orElse(Double.NaN);
            boolean fp = first.method().equals("FP");
            // Anchors are published full-precision and plain-QAT numbers: shown on those rows only.
            Double anchor = fp ? preset.anchor("FP") : first.method().endsWith("+BR") ? null : preset.anchor(first.bitsLabel());
            rows.add(new Row(first.method(), fp ? "32/32" : first.bitsLabel(), g.size(), mean, g.size() > 1 ? Math.sqrt(var) : 0,
                    ips, anchor));
        }
        return rows;
    }

    public static String markdown(List<Row> rows, Preset preset) {
        StringBuilder sb = new StringBuilder();
        sb.append("| method | W/A | top-1 % (ours, mean ± std) | seeds | train img/s | published top-1 % |\n");
        sb.append("| --- | --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.2f ± %.2f | %d | %s | %s |%n", r.method(), r.bits(),
                    r.mean(), r.std(), r.seeds(), Double.isNaN(r.imagesPerSecond()) ? "—" : String.format(Locale.ROOT, "%.0f", r.imagesPerSecond()),
                    r.published() == null ? "—" : String.format(Locale.ROOT, "%.2f", r.published())));
        }
        sb.append(String.format(Locale.ROOT, "%nPreset %s: %s %s. Published column: %s.%n", preset.name(), preset.model(),
                preset.dataset(), preset.anchorSource()));
        return sb.toString();
    }
}
