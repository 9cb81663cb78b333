package dev.thinet4j.report;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The record of one pruning run: the configuration and seed that produced it (enough to replay
 * it), the library version, per-layer results, and the totals before and after.
 *
 * @param provenance  configuration entries (criterion, reconstruction, policy, seed, images, …) in order
 * @param layers      one entry per pruned layer, in the order they were pruned
 * @param paramsBefore total parameters of the original network
 * @param paramsAfter  total parameters of the pruned network
 * @param macsBefore   total MACs of the original network (one image)
 * @param macsAfter    total MACs of the pruned network
 */
public record PruningReport(Map<String, String> provenance, List<LayerReport> layers, long paramsBefore,
                            long paramsAfter, long macsBefore, long macsAfter) {
    public PruningReport {
        provenance = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(provenance));
        layers = List.copyOf(layers);
    }

    /** Version of the library that made the report. */
    public static String libraryVersion() {
        String v = PruningReport.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Writes the per-layer table as CSV (Commons CSV) with the provenance as leading {@code # key=value}
     * comment lines. The file is written to a temporary file next to it and moved into place.
     */
    public void writeCsv(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, ".report", ".csv.tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp)) {
                writeCsv(w);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes the CSV to {@code out} (not closed). */
    public void writeCsv(Writer out) throws IOException {
        CSVFormat format = CSVFormat.DEFAULT.builder().setCommentMarker('#').setHeaderComments(
                provenance.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(Object[]::new))
                .setHeader("layer", "group", "channels_before", "channels_after", "params_before", "params_after",
                        "macs_before", "macs_after", "samples", "residual_before", "residual_after", "seconds", "kept")
                .build();
        CSVPrinter p = new CSVPrinter(out, format);
        for (LayerReport l : layers) {
            p.printRecord(l.layer(), l.group(), l.channelsBefore(), l.channelsAfter(), l.paramsBefore(),
                    l.paramsAfter(), l.macsBefore(), l.macsAfter(), l.samples(), fmt(l.residualBefore()),
                    fmt(l.residualAfter()), String.format(Locale.ROOT, "%.3f", l.seconds()),
                    Arrays.stream(l.kept()).mapToObj(Integer::toString).collect(Collectors.joining(" ")));
        }
        p.flush();
    }

    private static String fmt(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.6g", v);
    }

    /**
     * A human summary: one line per layer, the head replacement when there was one, and the totals, for the CLI
     * and examples.
     */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-28s %9s %12s %12s%n", "layer", "channels", "resid.before", "resid.after"));
        for (LayerReport l : layers) {
            sb.append(String.format(Locale.ROOT, "%-28s %4d→%-4d %12s %12s%n", l.layer(), l.channelsBefore(),
                    l.channelsAfter(), fmt(l.residualBefore()), fmt(l.residualAfter())));
        }
        if (provenance.containsKey("head")) {
            sb.append("head ").append(provenance.get("head"));
            if (provenance.containsKey("head_residual")) {
                sb.append(", init ").append(provenance.get("head_init")).append(", residual ")
                        .append(provenance.get("head_residual"));
            }
            sb.append(System.lineSeparator());
        }
        sb.append(String.format(Locale.ROOT, "params %d → %d (%.1f%%), MACs %d → %d (%.1f%%)%n", paramsBefore,
                paramsAfter, 100.0 * paramsAfter / Math.max(1, paramsBefore), macsBefore, macsAfter,
                100.0 * macsAfter / Math.max(1, macsBefore)));
        return sb.toString();
    }
}
