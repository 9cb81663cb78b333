package dev.thinet4j.budget;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The result of a sensitivity analysis: for each candidate layer pruned <em>alone</em> at each ratio, the measured
 * damage and what it saves. Written as CSV ({@link #writeCsv}) and as a self-contained HTML chart
 * ({@link #writeHtml}); read back with {@link #readCsv}.
 *
 * @param model       the network's name
 * @param metric      what {@link SensitivityRow#metric()} holds
 * @param baseline    the unpruned network's value of the metric on the same images (0 for the logit error)
 * @param images      held-out images measured on
 * @param totalMacs   MACs (one image) of the unpruned network
 * @param totalParams parameters of the unpruned network
 * @param rows        measurements, grouped by layer in candidate order, ratios ascending within a layer
 * @param cost        what the analysis cost, or null when unknown (a table read from CSV, a synthetic one)
 */
public record SensitivityTable(String model, Metric metric, double baseline, long images, long totalMacs,
                               long totalParams, List<SensitivityRow> rows, EvaluationCost cost) {

    /**
     * Weight of the logit error added to an accuracy drop in {@link #damage}: small enough (≤ 10⁻³·e) to stay
     * below one image's worth of accuracy for any plausible error e, large enough to order layers whose accuracy
     * did not move on the held-out images.
     */
    public static final double LOGIT_TIE_BREAK = 1e-3;

    private static final String[] HEADER = {"layer", "channels", "ratio", "removed", "metric", "logit_error",
            "macs_saved", "params_saved"};

    public SensitivityTable {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(metric, "metric");
        rows = List.copyOf(rows);
        Map<String, Integer> channels = new LinkedHashMap<>();
        for (SensitivityRow r : rows) {
            Integer c = channels.putIfAbsent(r.layer(), r.channels());
            if (c != null && c != r.channels()) {
                throw new IllegalArgumentException("layer '" + r.layer() + "' has rows with " + c + " and "
                        + r.channels() + " channels");
            }
        }
    }

    /** The layers, in the order their rows first appear. */
    public List<String> layers() {
        return List.copyOf(new LinkedHashSet<>(rows.stream().map(SensitivityRow::layer).toList()));
    }

    /** The rows of one layer, in table order (empty for an unknown layer). */
    public List<SensitivityRow> rows(String layer) {
        return rows.stream().filter(r -> r.layer().equals(layer)).toList();
    }

    /**
     * The damage of a row measured by the table's metric: {@link Metric#damage} of its metric against the
     * baseline, plus, for accuracy, {@link #LOGIT_TIE_BREAK}·logitError (what {@link Damage#METRIC} uses).
     */
    public double damage(SensitivityRow row) {
        double d = metric.damage(baseline, row.metric());
        if (metric == Metric.ACCURACY && Double.isFinite(row.logitError())) {
            d += LOGIT_TIE_BREAK * row.logitError();
        }
        return d;
    }

    // ------------------------------------------------------------------------------------------------ CSV

    /**
     * Writes the table as CSV with header {@code layer,channels,ratio,removed,metric,logit_error,macs_saved,
     * params_saved} after {@code # key=value} comment lines (model, metric, baseline, images, totals). Written to
     * a temporary file next to {@code file}, then moved into place.
     */
    public void writeCsv(Path file) throws IOException {
        writeAtomically(file, ".csv.tmp", this::writeCsv);
    }

    /** Writes the CSV to {@code out} (not closed). */
    public void writeCsv(Writer out) throws IOException {
        List<String> comments = new ArrayList<>();
        comments.add("model=" + model.replace('\n', ' ').replace('\r', ' '));
        comments.add("metric=" + metric.id());
        comments.add("baseline=" + baseline);
        comments.add("images=" + images);
        comments.add("total_macs=" + totalMacs);
        comments.add("total_params=" + totalParams);
        if (cost != null) {
            comments.add("cost=" + cost.summary());
        }
        CSVFormat format = CSVFormat.DEFAULT.builder().setCommentMarker('#')
                .setHeaderComments(comments.toArray()).setHeader(HEADER).build();
        CSVPrinter p = new CSVPrinter(out, format);
        for (SensitivityRow r : rows) {
            p.printRecord(r.layer(), r.channels(), r.ratio(), r.removed(), r.metric(), r.logitError(), r.macsSaved(),
                    r.paramsSaved());
        }
        p.flush();
    }

    /**
     * Reads a table written by {@link #writeCsv}. The cost is not kept.
     *
     * @throws IllegalArgumentException naming the file and line for a missing column, comment or bad number
     */
    public static SensitivityTable readCsv(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return readCsv(r, file.toString());
        }
    }

    /** Reads a table from {@code in} (not closed); {@code source} names it in messages. */
    public static SensitivityTable readCsv(Reader in, String source) throws IOException {
        CSVParser p = CSVFormat.DEFAULT.builder().setCommentMarker('#').setHeader().setSkipHeaderRecord(true)
                .setTrim(true).setIgnoreEmptyLines(true).build().parse(in);
        for (String h : HEADER) {
            if (!p.getHeaderMap().containsKey(h)) {
                throw new IllegalArgumentException("sensitivity table " + source + " lacks the column '" + h
                        + "'; found " + p.getHeaderNames());
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        String comment = p.getHeaderComment();
        if (comment != null) {
            for (String line : comment.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    meta.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
                }
            }
        }
        for (String key : List.of("metric", "baseline", "total_macs", "total_params")) {
            if (!meta.containsKey(key)) {
                throw new IllegalArgumentException("sensitivity table " + source + " lacks the '# " + key
                        + "=…' comment line before its header");
            }
        }
        List<SensitivityRow> rows = new ArrayList<>();
        for (CSVRecord rec : p) {
            String where = source + " line " + (rec.getRecordNumber() + 1);
            try {
                rows.add(new SensitivityRow(rec.get("layer"), Integer.parseInt(rec.get("channels")),
                        Double.parseDouble(rec.get("ratio")), Integer.parseInt(rec.get("removed")),
                        Double.parseDouble(rec.get("metric")), Double.parseDouble(rec.get("logit_error")),
                        Long.parseLong(rec.get("macs_saved")), Long.parseLong(rec.get("params_saved"))));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
            }
        }
        try {
            return new SensitivityTable(meta.getOrDefault("model", ""), Metric.parse(meta.get("metric")),
                    Double.parseDouble(meta.get("baseline")), Long.parseLong(meta.getOrDefault("images", "0")),
                    Long.parseLong(meta.get("total_macs")), Long.parseLong(meta.get("total_params")), rows, null);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("sensitivity table " + source + ": bad comment value: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ HTML

    /** Writes {@link #toHtml()} to {@code file} (temporary file, then moved into place). */
    public void writeHtml(Path file) throws IOException {
        writeAtomically(file, ".html.tmp", w -> w.write(toHtml()));
    }

    /**
     * A self-contained HTML page (no script, no external resource): an inline SVG chart with one polyline per
     * layer — x the pruning ratio, y the metric, a dashed line at the baseline, a tooltip per point — and the table.
     */
    public String toHtml() {
        final int w = 760;
        final int left = 70;
        final int right = 250;
        final int top = 30;
        final int bottom = 50;
        final int plotH = 340;
        List<String> layers = layers();
        final int h = Math.max(top + plotH + bottom, top + 16 * layers.size() + 16);
        double lo = baseline;
        double hi = baseline;
        for (SensitivityRow r : rows) {
            if (Double.isFinite(r.metric())) {
                lo = Math.min(lo, r.metric());
                hi = Math.max(hi, r.metric());
            }
        }
        if (hi - lo < 1e-12) {
            hi = lo + 1;
        }
        double pad = (hi - lo) * 0.05;
        final double yLo = lo - pad;
        final double yHi = hi + pad;
        int plotW = w - left - right;
        java.util.function.DoubleUnaryOperator px = x -> left + x * plotW;
        java.util.function.DoubleUnaryOperator py = y -> top + (yHi - y) / (yHi - yLo) * plotH;

        StringBuilder s = new StringBuilder();
        String title = "Sensitivity of " + model;
        s.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
                .append(esc(title)).append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:2em;color:#222}\n")
                .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px;"
                        + "text-align:right}td:first-child,th:first-child{text-align:left}\n")
                .append("svg text{font-size:12px}\n</style>\n</head>\n<body>\n<h1>").append(esc(title)).append("</h1>\n");
        s.append("<p>").append(esc(metric.id())).append(" on ").append(images).append(" held-out images; unpruned: ")
                .append(num(baseline)).append(". Each line is one layer pruned alone.");
        if (cost != null) {
            s.append(" Cost: ").append(esc(cost.summary())).append('.');
        }
        s.append("</p>\n");
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" role=\"img\">\n");
        s.append("<rect x=\"").append(left).append("\" y=\"").append(top).append("\" width=\"").append(plotW)
                .append("\" height=\"").append(plotH).append("\" fill=\"#fafafa\" stroke=\"#999\"/>\n");
        for (int i = 0; i <= 10; i++) {
            double x = px.applyAsDouble(i / 10.0);
            s.append("<line x1=\"").append(f(x)).append("\" y1=\"").append(top).append("\" x2=\"").append(f(x))
                    .append("\" y2=\"").append(top + plotH).append("\" stroke=\"#e4e4e4\"/>")
                    .append("<text x=\"").append(f(x)).append("\" y=\"").append(top + plotH + 16)
                    .append("\" text-anchor=\"middle\">").append(String.format(Locale.ROOT, "%.1f", i / 10.0))
                    .append("</text>\n");
        }
        for (int i = 0; i <= 5; i++) {
            double v = yLo + (yHi - yLo) * i / 5.0;
            double y = py.applyAsDouble(v);
            s.append("<line x1=\"").append(left).append("\" y1=\"").append(f(y)).append("\" x2=\"")
                    .append(left + plotW).append("\" y2=\"").append(f(y)).append("\" stroke=\"#e4e4e4\"/>")
                    .append("<text x=\"").append(left - 6).append("\" y=\"").append(f(y + 4))
                    .append("\" text-anchor=\"end\">").append(num(v)).append("</text>\n");
        }
        s.append("<text x=\"").append(left + plotW / 2).append("\" y=\"").append(top + plotH + bottom - 12)
                .append("\" text-anchor=\"middle\">pruning ratio (fraction of channels removed)</text>\n");
        s.append("<text transform=\"translate(16 ").append(top + plotH / 2).append(") rotate(-90)\" text-anchor=\"middle\">")
                .append(esc(metric.id())).append("</text>\n");
        double by = py.applyAsDouble(baseline);
        s.append("<line x1=\"").append(left).append("\" y1=\"").append(f(by)).append("\" x2=\"").append(left + plotW)
                .append("\" y2=\"").append(f(by)).append("\" stroke=\"#000\" stroke-dasharray=\"6 4\"><title>unpruned: ")
                .append(num(baseline)).append("</title></line>\n");
        for (int li = 0; li < layers.size(); li++) {
            String layer = layers.get(li);
            String color = String.format(Locale.ROOT, "hsl(%d,65%%,42%%)", Math.round(360.0 * li / layers.size()));
            StringBuilder pts = new StringBuilder(f(px.applyAsDouble(0))).append(',').append(f(by));
            StringBuilder dots = new StringBuilder();
            for (SensitivityRow r : rows(layer)) {
                if (!Double.isFinite(r.metric())) {
                    continue;
                }
                double x = px.applyAsDouble(r.ratio());
                double y = py.applyAsDouble(r.metric());
                pts.append(' ').append(f(x)).append(',').append(f(y));
                dots.append("<circle cx=\"").append(f(x)).append("\" cy=\"").append(f(y)).append("\" r=\"3\" fill=\"")
                        .append(color).append("\"><title>").append(esc(layer)).append(" ratio ").append(num(r.ratio()))
                        .append(" (").append(r.removed()).append('/').append(r.channels()).append(" removed): ")
                        .append(esc(metric.id())).append(' ').append(num(r.metric())).append(", MACs saved ")
                        .append(r.macsSaved()).append("</title></circle>");
            }
            s.append("<g><polyline fill=\"none\" stroke-width=\"2\" stroke=\"").append(color).append("\" points=\"")
                    .append(pts).append("\"><title>").append(esc(layer)).append("</title></polyline>").append(dots)
                    .append("</g>\n");
            int ly = top + 8 + li * 16;
            s.append("<line x1=\"").append(left + plotW + 12).append("\" y1=\"").append(ly).append("\" x2=\"")
                    .append(left + plotW + 32).append("\" y2=\"").append(ly).append("\" stroke-width=\"2\" stroke=\"")
                    .append(color).append("\"/><text x=\"").append(left + plotW + 38).append("\" y=\"").append(ly + 4)
                    .append("\">").append(esc(shorten(layer, 32))).append("<title>").append(esc(layer))
                    .append("</title></text>\n");
        }
        s.append("</svg>\n");
        s.append("<table>\n<tr>");
        for (String col : HEADER) {
            s.append("<th>").append(col).append("</th>");
        }
        s.append("</tr>\n");
        for (SensitivityRow r : rows) {
            s.append("<tr><td>").append(esc(r.layer())).append("</td><td>").append(r.channels()).append("</td><td>")
                    .append(num(r.ratio())).append("</td><td>").append(r.removed()).append("</td><td>")
                    .append(num(r.metric())).append("</td><td>").append(num(r.logitError())).append("</td><td>")
                    .append(r.macsSaved()).append("</td><td>").append(r.paramsSaved()).append("</td></tr>\n");
        }
        s.append("</table>\n</body>\n</html>\n");
        return s.toString();
    }

    /** The name cut in the middle to at most {@code max} characters, keeping its start and its end. */
    private static String shorten(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int head = (max - 1) * 2 / 5;
        return s.substring(0, head) + "…" + s.substring(s.length() - (max - 1 - head));
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    /** Escapes text for HTML and SVG: &amp;, &lt;, &gt;, quotes. */
    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private interface WriterBody {
        void write(Writer w) throws IOException;
    }

    private static void writeAtomically(Path file, String suffix, WriterBody body) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".sensitivity", suffix);
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                body.write(w);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
