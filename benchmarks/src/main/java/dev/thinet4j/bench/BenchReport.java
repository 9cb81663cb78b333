package dev.thinet4j.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Turns JMH result files ({@code -rf csv}) of this suite into the Markdown ratio tables of
 * {@code docs/benchmarks.md}: the naive selection times extrapolated to the whole selection
 * ({@link NaiveThiNetGreedy#extrapolate}) over ours, with and without building the Gram matrix, the
 * check of the extrapolation where a complete naive run was timed, and ours over ONNX Runtime for the
 * forward pass. Measures nothing itself.
 *
 * <p>Usage: {@code java -cp … dev.thinet4j.bench.BenchReport results.csv [more.csv …]}
 */
public final class BenchReport {

    /** One JMH score in milliseconds per call. */
    record Score(String benchmark, String method, double ms, double errorMs, Map<String, String> params) {
        int param(String name) {
            return Integer.parseInt(params.get(name));
        }
    }

    private BenchReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: BenchReport results.csv [more.csv ...]");
            System.exit(2);
        }
        List<Score> scores = new ArrayList<>();
        for (String a : args) {
            scores.addAll(read(Path.of(a)));
        }
        System.out.print(selection(scores));
        System.out.print(forward(scores));
    }

    static List<Score> read(Path csv) throws IOException {
        List<Score> out = new ArrayList<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();
        try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            for (CSVRecord rec : format.parse(r)) {
                String full = rec.get("Benchmark");
                int dot = full.lastIndexOf('.');
                String cls = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
                double unit = toMillis(rec.get("Unit"));
                Map<String, String> params = new HashMap<>();
                for (String h : rec.getParser().getHeaderNames()) {
                    if (h.startsWith("Param: ") && !rec.get(h).isEmpty()) {
                        params.put(h.substring(7), rec.get(h));
                    }
                }
                out.add(new Score(cls, full.substring(dot + 1), parse(rec.get("Score")) * unit,
                        parse(rec.get("Score Error (99.9%)")) * unit, params));
            }
        }
        return out;
    }

    private static double parse(String s) {
        return s.isEmpty() || s.equals("NaN") ? Double.NaN : Double.parseDouble(s);
    }

    private static double toMillis(String unit) {
        return switch (unit) {
            case "s/op" -> 1e3;
            case "ms/op" -> 1;
            case "us/op" -> 1e-3;
            case "ns/op" -> 1e-6;
            default -> throw new IllegalArgumentException("unsupported JMH unit " + unit + " (use AverageTime)");
        };
    }

    static String selection(List<Score> scores) {
        Map<Integer, Map<String, List<Score>>> byC = new TreeMap<>();
        for (Score s : scores) {
            if (s.benchmark().equals("SelectionBenchmark")) {
                byC.computeIfAbsent(s.param("channels"), k -> new HashMap<>())
                        .computeIfAbsent(s.method(), k -> new ArrayList<>()).add(s);
            }
        }
        if (byC.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| C | m | ours: greedy | Gram, ND4J gemm | Gram, loops | naive masked, whole (extrap.) "
                + "| naive running, whole (extrap.) | masked / greedy | running / greedy "
                + "| masked / (greedy + gemm) | running / (greedy + gemm) | running / (greedy + loops) |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        StringBuilder check = new StringBuilder();
        for (var e : byC.entrySet()) {
            int c = e.getKey();
            Map<String, List<Score>> m = e.getValue();
            double greedy = first(m, "greedy");
            double gemm = first(m, "gramNd4j");
            double loops = first(m, "gramLoops");
            double masked = wholeNaive(m.get("naiveMasked"), NaiveThiNetGreedy.Variant.MASKED, c, check);
            double running = wholeNaive(m.get("naiveRunning"), NaiveThiNetGreedy.Variant.RUNNING, c, check);
            String samples = anyParam(m, "samples");
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    c, samples, ms(greedy), ms(gemm), ms(loops), ms(masked), ms(running),
                    ratio(masked / greedy), ratio(running / greedy), ratio(masked / (greedy + gemm)),
                    ratio(running / (greedy + gemm)), ratio(running / (greedy + loops))));
        }
        if (check.length() > 0) {
            sb.append("\nExtrapolation check (whole naive selection timed directly):\n\n");
            sb.append("| variant | C | timed: first k steps | extrapolated whole | measured whole | extrap. / measured |\n");
            sb.append("|---|---:|---:|---:|---:|---:|\n");
            sb.append(check);
        }
        return sb.append('\n').toString();
    }

    /**
     * The whole naive selection's time from the scores with the fewest steps; where a score of the
     * complete selection exists as well, adds a row to {@code check}.
     */
    private static double wholeNaive(List<Score> runs, NaiveThiNetGreedy.Variant v, int c, StringBuilder check) {
        if (runs == null) {
            return Double.NaN;
        }
        int numRemove = c / 2;
        Score fewest = runs.stream().min((a, b) -> Integer.compare(a.param("steps"), b.param("steps"))).orElseThrow();
        int k = fewest.param("steps");
        double extrapolated = NaiveThiNetGreedy.extrapolate(fewest.ms(), v, c, k, numRemove);
        for (Score s : runs) {
            if (s.param("steps") == numRemove && k < numRemove) {
                check.append(String.format(Locale.ROOT, "| %s | %d | %s (k=%d) | %s | %s | %.2f |%n",
                        v.name().toLowerCase(Locale.ROOT), c, ms(fewest.ms()), k, ms(extrapolated), ms(s.ms()),
                        extrapolated / s.ms()));
            }
        }
        return extrapolated;
    }

    static String forward(List<Score> scores) {
        Map<String, Map<String, Double>> rows = new TreeMap<>();
        for (Score s : scores) {
            if (s.benchmark().equals("ForwardBenchmark")) {
                String key = s.params().get("model") + "|" + String.format(Locale.ROOT, "%03d", s.param("batch"));
                rows.computeIfAbsent(key, k -> new HashMap<>()).put(s.params().get("runtime"), s.ms());
            }
        }
        if (rows.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| model | batch | ours (ms/batch) | ORT (ms/batch) | ours / ORT |\n|---|---:|---:|---:|---:|\n");
        for (var e : rows.entrySet()) {
            String[] k = e.getKey().split("\\|");
            double ours = e.getValue().getOrDefault("thinet4j", Double.NaN);
            double ort = e.getValue().getOrDefault("onnxruntime", Double.NaN);
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |%n",
                    k[0], Integer.parseInt(k[1]), ms(ours), ms(ort), ratio(ours / ort)));
        }
        return sb.append('\n').toString();
    }

    private static double first(Map<String, List<Score>> m, String method) {
        List<Score> l = m.get(method);
        return l == null || l.isEmpty() ? Double.NaN : l.get(0).ms();
    }

    private static String anyParam(Map<String, List<Score>> m, String name) {
        TreeSet<String> values = new TreeSet<>();
        m.values().forEach(l -> l.forEach(s -> {
            if (s.params().containsKey(name)) {
                values.add(s.params().get(name));
            }
        }));
        return String.join("/", values);
    }

    private static String ms(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        if (v >= 60_000) {
            return String.format(Locale.ROOT, "%.1f min", v / 60_000);
        }
        if (v >= 1000) {
            return String.format(Locale.ROOT, "%.2f s", v / 1000);
        }
        if (v >= 1) {
            return String.format(Locale.ROOT, "%.1f ms", v);
        }
        return String.format(Locale.ROOT, "%.1f µs", v * 1000);
    }

    private static String ratio(double r) {
        if (Double.isNaN(r)) {
            return "–";
        }
        if (r >= 100) {
            return String.format(Locale.ROOT, "%,.0f×", r);
        }
        return String.format(Locale.ROOT, "%.2f×", r);
    }
}
