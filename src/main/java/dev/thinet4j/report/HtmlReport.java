package dev.thinet4j.report;

import dev.thinet4j.eval.ModelSnapshot;
import dev.thinet4j.model.LayerSize;
import dev.thinet4j.model.ModelSize;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * A self-contained HTML page about a pruning run, for people: inline CSS and inline SVG charts, no
 * scripts, no fonts or images to fetch, so it opens from disk, in a mail attachment or a CI artefact.
 *
 * <p>Contents, top to bottom: the title; the run's configuration (the report's provenance); the totals
 * before and after; the accuracy / parameters / MACs / latency table when {@linkplain
 * Builder#snapshots(List) snapshots} are given; a grouped bar chart of channels before and after per
 * pruned layer and one of MACs; the per-layer table (channels, kept channels, samples, residual before
 * and after reconstruction, time).
 *
 * <p>The MACs chart shows each pruned layer's own MACs in the original and the pruned network when
 * {@linkplain Builder#layerSizes(ModelSize, ModelSize) both sizes} are given; otherwise the network's
 * total MACs before and after each step, which is what {@link LayerReport} records.
 *
 * <p>Every text is escaped, so layer names with {@code / < & "} are shown as they are. The page is
 * well-formed XML as well as HTML, so it can be checked with an XML parser.
 */
public final class HtmlReport {
    static final String BEFORE_COLOR = "#9db4d3";
    static final String AFTER_COLOR = "#e0782f";

    private final PruningReport report;
    private final String title;
    private final List<ModelSnapshot> snapshots;
    private final List<String> notes;
    private final ModelSize originalSize;
    private final ModelSize prunedSize;

    private HtmlReport(Builder b) {
        this.report = b.report;
        this.title = b.title != null ? b.title : defaultTitle(b.report);
        this.snapshots = List.copyOf(b.snapshots);
        this.notes = List.copyOf(b.notes);
        this.originalSize = b.originalSize;
        this.prunedSize = b.prunedSize;
    }

    /** A report with the default title and no accuracy table. */
    public static HtmlReport of(PruningReport report) {
        return builder(report).build();
    }

    public static Builder builder(PruningReport report) {
        return new Builder(report);
    }

    private static String defaultTitle(PruningReport r) {
        String model = r.provenance().get("model");
        return "Pruning report" + (model == null || model.isBlank() ? "" : ": " + model);
    }

    /** Writes the page to a temporary file next to {@code file} and moves it into place (UTF-8). */
    public void writeHtml(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".report", ".html.tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                write(w);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the page to {@code out} (not closed). */
    public void write(Writer out) throws IOException {
        out.write(render());
        out.flush();
    }

    /** The whole page. */
    public String render() {
        StringBuilder sb = new StringBuilder(32_768);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
                .append("<meta name=\"generator\" content=\"thinet4j ")
                .append(Html.escape(PruningReport.libraryVersion())).append("\"/>\n")
                .append("<title>").append(Html.escape(title)).append("</title>\n<style>\n").append(CSS)
                .append("</style>\n</head>\n<body>\n<main>\n");
        sb.append("<h1>").append(Html.escape(title)).append("</h1>\n");
        subtitle(sb);
        for (String note : notes) {
            sb.append("<p class=\"note\">").append(Html.escape(note)).append("</p>\n");
        }
        configuration(sb);
        totals(sb);
        if (!snapshots.isEmpty()) {
            snapshotTable(sb);
        }
        if (report.layers().isEmpty()) {
            sb.append("<p class=\"note\">No layer was pruned.</p>\n");
        } else {
            charts(sb);
            layerTable(sb);
        }
        sb.append("<footer>Made by thinet4j ").append(Html.escape(PruningReport.libraryVersion()))
                .append(". Parameters follow PyTorch\u2019s convention; MACs are for one image.</footer>\n")
                .append("</main>\n</body>\n</html>\n");
        return sb.toString();
    }

    private void subtitle(StringBuilder sb) {
        Map<String, String> p = report.provenance();
        List<String> parts = new ArrayList<>();
        for (String key : List.of("policy", "criterion", "reconstruction")) {
            if (p.containsKey(key)) {
                parts.add(key + " " + p.get(key));
            }
        }
        parts.add(report.layers().size() + (report.layers().size() == 1 ? " layer" : " layers") + " pruned in "
                + String.format(Locale.ROOT, "%.1f s", totalSeconds()));
        sb.append("<p class=\"subtitle\">").append(Html.escape(String.join(" \u00b7 ", parts))).append("</p>\n");
    }

    private double totalSeconds() {
        return report.layers().stream().mapToDouble(LayerReport::seconds).sum();
    }

    private void configuration(StringBuilder sb) {
        sb.append("<section id=\"configuration\">\n<h2>Configuration</h2>\n");
        if (report.provenance().isEmpty()) {
            sb.append("<p class=\"note\">No configuration recorded.</p>\n</section>\n");
            return;
        }
        sb.append("<table class=\"config\">\n<tbody>\n");
        for (Map.Entry<String, String> e : report.provenance().entrySet()) {
            sb.append("<tr><th scope=\"row\">").append(Html.escape(e.getKey())).append("</th><td>")
                    .append(Html.escape(e.getValue())).append("</td></tr>\n");
        }
        sb.append("</tbody>\n</table>\n</section>\n");
    }

    private void totals(StringBuilder sb) {
        sb.append("<section id=\"totals\">\n<h2>Totals</h2>\n<div class=\"cards\">\n");
        card(sb, "params", "Parameters", report.paramsBefore(), report.paramsAfter());
        card(sb, "macs", "MACs per image", report.macsBefore(), report.macsAfter());
        sb.append("</div>\n<table class=\"totals\">\n<thead><tr><th></th><th class=\"num\">before</th>")
                .append("<th class=\"num\">after</th><th class=\"num\">after / before</th>")
                .append("<th class=\"num\">reduction</th></tr></thead>\n<tbody>\n");
        totalRow(sb, "params", "Parameters", report.paramsBefore(), report.paramsAfter());
        totalRow(sb, "macs", "MACs per image", report.macsBefore(), report.macsAfter());
        sb.append("</tbody>\n</table>\n</section>\n");
    }

    private static void card(StringBuilder sb, String key, String label, long before, long after) {
        sb.append("<div class=\"card\" id=\"card-").append(key).append("\"><div class=\"label\">").append(label)
                .append("</div><div class=\"big\">").append(Html.escape(Html.compact(before))).append(" \u2192 ")
                .append(Html.escape(Html.compact(after))).append("</div><div class=\"small\">")
                .append(Html.escape(reduction(before, after))).append("</div></div>\n");
    }

    private static String reduction(long before, long after) {
        if (before == 0) {
            return "\u2014";
        }
        double removed = 100.0 * (before - after) / before;
        return String.format(Locale.ROOT, "%.1f%% removed", removed)
                + (after > 0 ? String.format(Locale.ROOT, ", %.2f\u00d7 smaller", (double) before / after) : "");
    }

    private static void totalRow(StringBuilder sb, String key, String label, long before, long after) {
        sb.append("<tr id=\"total-").append(key).append("\"><th scope=\"row\">").append(label).append("</th>");
        numCell(sb, "before", before, Html.grouped(before));
        numCell(sb, "after", after, Html.grouped(after));
        sb.append("<td class=\"num\">").append(Html.escape(Html.percent(after, before))).append("</td>")
                .append("<td class=\"num\">").append(before == 0 || after == 0 ? "\u2014"
                        : Html.escape(String.format(Locale.ROOT, "%.2f\u00d7", (double) before / after)))
                .append("</td></tr>\n");
    }

    private static void numCell(StringBuilder sb, String cssClass, long value, String text) {
        sb.append("<td class=\"num ").append(cssClass).append("\" data-value=\"").append(value).append("\">")
                .append(Html.escape(text)).append("</td>");
    }

    /** A number in short form, the exact value in the tooltip and {@code data-value}. */
    private static void compactCell(StringBuilder sb, String cssClass, long value) {
        sb.append("<td class=\"num ").append(cssClass).append("\" data-value=\"").append(value).append("\" title=\"")
                .append(Html.grouped(value)).append("\">").append(Html.escape(Html.compact(value))).append("</td>");
    }

    private void snapshotTable(StringBuilder sb) {
        ModelSnapshot base = snapshots.get(0);
        sb.append("<section id=\"snapshots\">\n<h2>Accuracy, size and speed</h2>\n<table class=\"snapshots\">\n")
                .append("<thead><tr><th>stage</th><th class=\"num\">top-1 accuracy</th>")
                .append("<th class=\"num\">\u0394 accuracy</th><th class=\"num\">parameters</th>")
                .append("<th class=\"num\">% of ").append(Html.escape(base.stage())).append("</th>")
                .append("<th class=\"num\">MACs per image</th><th class=\"num\">% of ")
                .append(Html.escape(base.stage())).append("</th><th class=\"num\">latency ms / image</th>")
                .append("<th class=\"num\">speed-up</th></tr></thead>\n<tbody>\n");
        for (ModelSnapshot s : snapshots) {
            sb.append("<tr><th scope=\"row\">").append(Html.escape(s.stage())).append("</th>");
            sb.append("<td class=\"num accuracy\" data-value=\"").append(s.hasAccuracy() ? s.accuracy() : "")
                    .append("\">").append(s.hasAccuracy() ? Html.fixed(100 * s.accuracy(), 2) + "%" : "\u2014")
                    .append("</td>");
            String delta = "\u2014";
            if (s != base && s.hasAccuracy() && base.hasAccuracy()) {
                delta = String.format(Locale.ROOT, "%+.2f pp", 100 * (s.accuracy() - base.accuracy()));
            }
            sb.append("<td class=\"num delta\">").append(Html.escape(delta)).append("</td>");
            numCell(sb, "params", s.params(), Html.grouped(s.params()));
            sb.append("<td class=\"num\">").append(Html.escape(Html.percent(s.params(), base.params())))
                    .append("</td>");
            numCell(sb, "macs", s.macs(), Html.grouped(s.macs()));
            sb.append("<td class=\"num\">").append(Html.escape(Html.percent(s.macs(), base.macs()))).append("</td>");
            sb.append("<td class=\"num latency\" data-value=\"").append(s.hasLatency() ? s.latencyMs() : "")
                    .append("\">").append(Html.fixed(s.latencyMs(), 3)).append("</td>");
            String speedup = "\u2014";
            if (s != base && s.hasLatency() && base.hasLatency() && s.latencyMs() > 0) {
                speedup = String.format(Locale.ROOT, "%.2f\u00d7", base.latencyMs() / s.latencyMs());
            }
            sb.append("<td class=\"num\">").append(Html.escape(speedup)).append("</td></tr>\n");
        }
        sb.append("</tbody>\n</table>\n<p class=\"caption\">Latency: median CPU wall time of one forward pass per")
                .append(" image on this machine; compare rows of the same table only.</p>\n</section>\n");
    }

    private void charts(StringBuilder sb) {
        List<LayerReport> layers = report.layers();
        List<String> names = layers.stream().map(LayerReport::layer).toList();
        long[] chBefore = layers.stream().mapToLong(LayerReport::channelsBefore).toArray();
        long[] chAfter = layers.stream().mapToLong(LayerReport::channelsAfter).toArray();
        sb.append("<section id=\"charts\">\n<h2>Per layer</h2>\n<figure>\n<figcaption>Output channels of each")
                .append(" pruned layer</figcaption>\n<div class=\"chart-box\">\n")
                .append(new BarChart("chart-channels", "Output channels before and after pruning, per layer", names,
                        new BarChart.Series("before", "before", BEFORE_COLOR, chBefore),
                        new BarChart.Series("after", "after", AFTER_COLOR, chAfter), Long::toString).svg())
                .append("</div>\n</figure>\n");

        long[][] macs = layerMacs();
        String caption;
        String before;
        String after;
        if (macs != null) {
            caption = "MACs per image of each pruned layer itself, in the original and in the pruned network";
            before = "original";
            after = "pruned";
        } else {
            macs = new long[][]{layers.stream().mapToLong(LayerReport::macsBefore).toArray(),
                    layers.stream().mapToLong(LayerReport::macsAfter).toArray()};
            caption = "MACs per image of the whole network before and after each pruning step";
            before = "before the step";
            after = "after the step";
        }
        sb.append("<figure>\n<figcaption>").append(Html.escape(caption)).append("</figcaption>\n")
                .append("<div class=\"chart-box\">\n")
                .append(new BarChart("chart-macs", caption, names,
                        new BarChart.Series(before, "before", BEFORE_COLOR, macs[0]),
                        new BarChart.Series(after, "after", AFTER_COLOR, macs[1]), Html::compact).svg())
                .append("</div>\n</figure>\n</section>\n");
    }

    /** Per pruned layer its own MACs in the original and pruned network, or null when not known. */
    private long[][] layerMacs() {
        if (originalSize == null || prunedSize == null) {
            return null;
        }
        Map<String, Long> original = macsByName(originalSize);
        Map<String, Long> pruned = macsByName(prunedSize);
        List<LayerReport> layers = report.layers();
        long[][] m = new long[2][layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            Long a = original.get(layers.get(i).layer());
            Long b = pruned.get(layers.get(i).layer());
            if (a == null || b == null) {
                return null;
            }
            m[0][i] = a;
            m[1][i] = b;
        }
        return m;
    }

    private static Map<String, Long> macsByName(ModelSize size) {
        Map<String, Long> m = new HashMap<>();
        for (LayerSize l : size.layers()) {
            m.put(l.name(), l.macs());
        }
        return m;
    }

    private void layerTable(StringBuilder sb) {
        sb.append("<section id=\"layers\">\n<h2>Pruning steps</h2>\n<div class=\"table-box\">\n")
                .append("<table class=\"layers\">\n<thead><tr><th class=\"num\">#</th><th>layer</th>")
                .append("<th>coupled group</th><th class=\"num\">channels</th><th class=\"num\">kept</th>")
                .append("<th class=\"num\">samples</th><th class=\"num\">residual before</th>")
                .append("<th class=\"num\">residual after</th><th class=\"num\">params after</th>")
                .append("<th class=\"num\">MACs after</th><th class=\"num\">seconds</th></tr></thead>\n")
                .append("<tbody>\n");
        int k = 0;
        for (LayerReport l : report.layers()) {
            k++;
            int[] kept = l.kept();
            sb.append("<tr data-layer=\"").append(Html.escape(l.layer())).append("\"><td class=\"num\">").append(k)
                    .append("</td><td class=\"layer\">").append(Html.escape(l.layer())).append("</td>")
                    .append("<td class=\"group\">").append(Html.escape(l.group())).append("</td>")
                    .append("<td class=\"num channels\">").append(l.channelsBefore()).append(" \u2192 ")
                    .append(l.channelsAfter()).append("</td>")
                    .append("<td class=\"num kept\" data-value=\"").append(kept.length).append("\"><details><summary>")
                    .append(kept.length).append(" (").append(Html.escape(Html.percent(kept.length,
                            l.channelsBefore()))).append(")</summary><code>")
                    .append(Arrays.stream(kept).mapToObj(Integer::toString).collect(Collectors.joining(" ")))
                    .append("</code></details></td>");
            numCell(sb, "samples", l.samples(), Html.grouped(l.samples()));
            sb.append("<td class=\"num residual-before\">").append(Html.fixed(l.residualBefore(), 4)).append("</td>")
                    .append("<td class=\"num residual-after\">").append(Html.fixed(l.residualAfter(), 4))
                    .append("</td>");
            compactCell(sb, "params-after", l.paramsAfter());
            compactCell(sb, "macs-after", l.macsAfter());
            sb.append("<td class=\"num seconds\">").append(Html.fixed(l.seconds(), 2)).append("</td></tr>\n");
        }
        sb.append("</tbody>\n</table>\n</div>\n<p class=\"caption\">Residual: \u2016y \u2212 Xw\u2016 / \u2016y\u2016")
                .append(" of the next layer\u2019s output on the sampled points with the channels removed, before and")
                .append(" after the least-squares reconstruction (\u2014: not measured). Params and MACs after: the whole")
                .append(" network after the step. Open a kept count for the kept channel indices.</p>\n</section>\n");
    }

    /** Builder of an {@link HtmlReport}. */
    public static final class Builder {
        private final PruningReport report;
        private String title;
        private final List<ModelSnapshot> snapshots = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private ModelSize originalSize;
        private ModelSize prunedSize;

        private Builder(PruningReport report) {
            this.report = Objects.requireNonNull(report, "report");
        }

        /** The page title (default: {@code Pruning report: <model>}). */
        public Builder title(String v) {
            title = Objects.requireNonNull(v, "title");
            return this;
        }

        /** Rows of the accuracy / size / latency table, first row the reference (e.g. the original). */
        public Builder snapshots(List<ModelSnapshot> v) {
            snapshots.clear();
            snapshots.addAll(v);
            return this;
        }

        /** Adds one row to the accuracy / size / latency table. */
        public Builder snapshot(ModelSnapshot v) {
            snapshots.add(Objects.requireNonNull(v, "snapshot"));
            return this;
        }

        /** A remark shown under the title, e.g. where the accuracy was measured. */
        public Builder note(String v) {
            notes.add(Objects.requireNonNull(v, "note"));
            return this;
        }

        /**
         * Sizes of the original and the pruned network, so the MACs chart shows each pruned layer's own
         * MACs rather than the network totals per step.
         */
        public Builder layerSizes(ModelSize original, ModelSize pruned) {
            originalSize = Objects.requireNonNull(original, "original");
            prunedSize = Objects.requireNonNull(pruned, "pruned");
            return this;
        }

        public HtmlReport build() {
            return new HtmlReport(this);
        }
    }

    private static final String CSS = """
            :root { color-scheme: light; }
            body { margin: 0; background: #f6f7f9; color: #1d232b;
              font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
            main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 40px; background: #fff;
              min-height: 100vh; box-sizing: border-box; }
            h1 { font-size: 24px; margin: 0 0 4px; word-break: break-word; }
            h2 { font-size: 17px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #e3e6eb; }
            .subtitle { margin: 0 0 12px; color: #5b6573; }
            .note { margin: 8px 0; padding: 8px 12px; background: #fff7e6; border-left: 3px solid #e0a030; }
            .caption, figcaption, footer { color: #5b6573; font-size: 12.5px; }
            figure { margin: 0 0 18px; }
            figcaption { margin: 0 0 4px; font-weight: 600; color: #1d232b; }
            footer { margin-top: 32px; border-top: 1px solid #e3e6eb; padding-top: 8px; }
            table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
            th, td { padding: 4px 10px; border-bottom: 1px solid #eceff3; text-align: left; vertical-align: top; }
            thead th { background: #f1f3f6; font-weight: 600; border-bottom: 1px solid #d5dae1; white-space: nowrap; }
            tbody tr:nth-child(even) { background: #fafbfc; }
            .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            table.config th { font-weight: 600; color: #5b6573; }
            table.config td { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
              overflow-wrap: anywhere; }
            td.layer, td.group { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
              font-size: 12px; }
            td.layer { white-space: nowrap; }
            td.group { color: #5b6573; font-size: 11.5px; min-width: 200px; max-width: 320px; overflow-wrap: anywhere; }
            table.layers thead th { white-space: normal; vertical-align: bottom; }
            details summary { cursor: pointer; }
            details code { display: block; max-width: 260px; white-space: normal; text-align: left;
              font-size: 11px; color: #5b6573; }
            .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 4px 0 10px; }
            .card { border: 1px solid #e3e6eb; border-radius: 6px; padding: 10px 14px; min-width: 200px; }
            .card .label { color: #5b6573; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
            .card .big { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
            .card .small { color: #3b7a3b; font-size: 12.5px; }
            .chart-box, .table-box { overflow-x: auto; max-width: 100%; }
            svg.chart { display: block; }
            svg.chart text { fill: #333; }
            """;
}
