package dev.thinet4j.bench;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Turns JMH result files of this suite into Markdown ratio tables: channel selection (the naive baselines
 * extrapolated to the whole selection, {@link NaiveThiNetGreedy#extrapolate}, over ours, with and without
 * building the Gram matrix), sampling throughput, EJML solve variants, pruning time over one forward pass, and
 * ours over ONNX Runtime for the forward pass. Measures nothing itself.
 *
 * <p>JSON results ({@code -rf json}) carry every iteration: times are given as median [min–max], and a ratio
 * A/B as median(A)/median(B) [min(A)/max(B) – max(A)/min(B)]. CSV results ({@code -rf csv}) carry only JMH's
 * mean, used for all three. Only ratios of scores from the same file are formed, so that both sides of a
 * ratio come from one JMH invocation.
 *
 * <p>Usage: {@code java -cp … dev.thinet4j.bench.BenchReport results.json [more.json|.csv …]}
 */
public final class BenchReport {

    /** One JMH score in milliseconds per call: median, min and max over the measured iterations. */
    record Score(String file, String benchmark, String method, double ms, double minMs, double maxMs, int n,
                 Map<String, String> params) {
        int param(String name) {
            return Integer.parseInt(params.get(name));
        }

        String param(String name, String absent) {
            return params.getOrDefault(name, absent);
        }

        Score scaled(double f) {
            return new Score(file, benchmark, method, ms * f, minMs * f, maxMs * f, n, params);
        }
    }

    private BenchReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: BenchReport results.json [more.json|.csv ...]");
            System.exit(2);
        }
        List<Score> scores = new ArrayList<>();
        for (String a : args) {
            scores.addAll(read(Path.of(a)));
        }
        System.out.print(report(scores));
    }

    static String report(List<Score> scores) {
        return selection(scores) + sampling(scores) + solve(scores) + prune(scores) + forward(scores);
    }

    static List<Score> read(Path file) throws IOException {
        return file.toString().endsWith(".csv") ? readCsv(file) : readJson(file);
    }

    static List<Score> readJson(Path file) throws IOException {
        List<Score> out = new ArrayList<>();
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        for (JsonNode b : root) {
            String full = b.get("benchmark").asText();
            JsonNode pm = b.get("primaryMetric");
            double unit = toMillis(pm.get("scoreUnit").asText());
            List<Double> raw = new ArrayList<>();
            for (JsonNode fork : pm.get("rawData")) {
                for (JsonNode v : fork) {
                    raw.add(v.asDouble() * unit);
                }
            }
            Map<String, String> params = new HashMap<>();
            JsonNode p = b.get("params");
            if (p != null) {
                for (Iterator<Map.Entry<String, JsonNode>> it = p.fields(); it.hasNext(); ) {
                    var e = it.next();
                    params.put(e.getKey(), e.getValue().asText());
                }
            }
            double[] v = raw.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = v.length == 0 ? pm.get("score").asDouble() * unit
                    : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
            double min = v.length == 0 ? median : v[0];
            double max = v.length == 0 ? median : v[v.length - 1];
            out.add(score(file, full, median, min, max, v.length, params));
        }
        return out;
    }

    static List<Score> readCsv(Path csv) throws IOException {
        List<Score> out = new ArrayList<>();
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();
        try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            for (CSVRecord rec : format.parse(r)) {
                double unit = toMillis(rec.get("Unit"));
                Map<String, String> params = new HashMap<>();
                for (String h : rec.getParser().getHeaderNames()) {
                    if (h.startsWith("Param: ") && !rec.get(h).isEmpty()) {
                        params.put(h.substring(7), rec.get(h));
                    }
                }
                double s = parse(rec.get("Score")) * unit;
                out.add(score(csv, rec.get("Benchmark"), s, s, s, Integer.parseInt(rec.get("Cnt").isEmpty() ? "1"
                        : rec.get("Cnt")), params));
            }
        }
        return out;
    }

    private static Score score(Path file, String full, double median, double min, double max, int n,
                               Map<String, String> params) {
        int dot = full.lastIndexOf('.');
        String cls = full.substring(full.lastIndexOf('.', dot - 1) + 1, dot);
        return new Score(file.toString(), cls, full.substring(dot + 1), median, min, max, n, params);
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
            default -> throw new IllegalArgumentException("unsupported JMH unit " + unit
                    + " (use AverageTime or SingleShotTime)");
        };
    }

    /** Scores of one benchmark class grouped by file and a key built from the parameters, then by method. */
    private static Map<String, Map<String, Score>> group(List<Score> scores, String benchmark,
                                                          Function<Score, String> key) {
        Map<String, Map<String, Score>> out = new TreeMap<>();
        for (Score s : scores) {
            if (s.benchmark().equals(benchmark)) {
                out.computeIfAbsent(s.file() + "\u0000" + key.apply(s), k -> new HashMap<>())
                        .put(s.method() + "@" + s.param("steps", ""), s);
            }
        }
        return out;
    }

    private static Score get(Map<String, Score> m, String method) {
        for (var e : m.entrySet()) {
            if (e.getKey().startsWith(method + "@")) {
                return e.getValue();
            }
        }
        return null;
    }

    private static String keyPart(String key) {
        return key.substring(key.indexOf('\u0000') + 1);
    }

    static String selection(List<Score> scores) {
        Map<String, Map<String, Score>> byC = group(scores, "SelectionBenchmark",
                s -> String.format(Locale.ROOT, "%04d", s.param("channels")));
        if (byC.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("### Channel selection (SelectionBenchmark): naive / ours, same kept set\n\n");
        sb.append("| C | m | ours: greedy on G | Gram G (ND4J) | naive masked, whole (extrap.) "
                + "| naive running sum, whole (extrap.) | masked / greedy | running / greedy "
                + "| masked / (greedy + Gram) | running / (greedy + Gram) |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        StringBuilder check = new StringBuilder();
        for (var e : byC.entrySet()) {
            int c = Integer.parseInt(keyPart(e.getKey()));
            Map<String, Score> m = e.getValue();
            Score greedy = get(m, "greedy");
            Score gram = get(m, "gramNd4j");
            Score masked = wholeNaive(m, "naiveMasked", NaiveThiNetGreedy.Variant.MASKED, c, check);
            Score running = wholeNaive(m, "naiveRunning", NaiveThiNetGreedy.Variant.RUNNING, c, check);
            Score greedyGram = sum(greedy, gram);
            String samples = greedy != null ? greedy.param("samples", "?") : gram != null ? gram.param("samples", "?")
                    : "?";
            sb.append(String.format(Locale.ROOT, "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    c, samples, time(greedy), time(gram), time(masked), time(running), ratio(masked, greedy),
                    ratio(running, greedy), ratio(masked, greedyGram), ratio(running, greedyGram)));
        }
        if (check.length() > 0) {
            sb.append("\nExtrapolation check (whole naive selection timed directly):\n\n");
            sb.append("| variant | C | timed: first k steps | extrapolated whole | measured whole | extrap. / measured |\n");
            sb.append("|---|---:|---:|---:|---:|---:|\n");
            sb.append(check);
        }
        return sb.append('\n').toString();
    }

    private static Score sum(Score a, Score b) {
        if (a == null || b == null) {
            return null;
        }
        return new Score(a.file(), a.benchmark(), a.method() + "+" + b.method(), a.ms() + b.ms(),
                a.minMs() + b.minMs(), a.maxMs() + b.maxMs(), Math.min(a.n(), b.n()), a.params());
    }

    /**
     * The whole naive selection's time from the score with the fewest steps; where a score of the complete
     * selection exists as well, adds a row to {@code check}.
     */
    private static Score wholeNaive(Map<String, Score> m, String method, NaiveThiNetGreedy.Variant v, int c,
                                    StringBuilder check) {
        List<Score> runs = new ArrayList<>();
        m.forEach((k, s) -> {
            if (k.startsWith(method + "@")) {
                runs.add(s);
            }
        });
        if (runs.isEmpty()) {
            return null;
        }
        int numRemove = c / 2;
        Score fewest = runs.stream().min((a, b) -> Integer.compare(a.param("steps"), b.param("steps"))).orElseThrow();
        int k = fewest.param("steps");
        Score extrapolated = fewest.scaled(NaiveThiNetGreedy.extrapolate(1, v, c, k, numRemove));
        for (Score s : runs) {
            if (s.param("steps") == numRemove && k < numRemove) {
                check.append(String.format(Locale.ROOT, "| %s | %d | %s (k=%d) | %s | %s | %.2f |%n",
                        v.name().toLowerCase(Locale.ROOT), c, time(fewest), k, time(extrapolated), time(s),
                        extrapolated.ms() / s.ms()));
            }
        }
        return extrapolated;
    }

    static String sampling(List<Score> scores) {
        Map<String, Map<String, Score>> rows = group(scores, "SamplingBenchmark",
                s -> s.param("channels", "?") + "|" + s.param("size", "?") + "|" + s.param("images", "?") + "|"
                        + String.format(Locale.ROOT, "%6s", s.param("points", "?")) + "|" + s.param("full", "?"));
        if (rows.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("### Sampling throughput (SamplingBenchmark, 3×3 conv consumer)\n\n");
        sb.append("| C | H=W | images × points | full | sampling pass | forward of the prefix | samples/s "
                + "| samples/s without the forward | sampling / forward |\n");
        sb.append("|---:|---:|---:|---|---:|---:|---:|---:|---:|\n");
        for (var e : rows.entrySet()) {
            String[] k = keyPart(e.getKey()).split("\\|");
            Score sample = get(e.getValue(), "sample");
            Score fwd = get(e.getValue(), "forward");
            k[3] = k[3].trim();
            double samples = Double.parseDouble(k[2]) * Double.parseDouble(k[3]);
            String perS = sample == null ? "–" : String.format(Locale.ROOT, "%,.0f [%,.0f–%,.0f]",
                    samples / sample.ms() * 1e3, samples / sample.maxMs() * 1e3, samples / sample.minMs() * 1e3);
            String net = "–";
            if (sample != null && fwd != null && sample.ms() > fwd.ms()) {
                net = String.format(Locale.ROOT, "%,.0f", samples / (sample.ms() - fwd.ms()) * 1e3);
            }
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s × %s | %s | %s | %s | %s | %s | %s |%n",
                    k[0], k[1], k[2], k[3], k[4], time(sample), time(fwd), perS, net, ratio(sample, fwd)));
        }
        return sb.append('\n').toString();
    }

    static String solve(List<Score> scores) {
        Map<String, Map<String, Score>> byC = group(scores, "SolveBenchmark",
                s -> String.format(Locale.ROOT, "%04d", s.param("channels")));
        if (byC.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("### EJML solves (SolveBenchmark, n = 9·C columns, C targets, m = 2n rows)\n\n");
        sb.append("| C | n | Cholesky on XᵀX | Cholesky MT | pruner's solve | QR on X | QR MT | XᵀX + Cholesky "
                + "| XᵀX + Cholesky MT | Cholesky / MT | QR / MT | QR / (XᵀX + Cholesky) | QR / Cholesky on XᵀX |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (var e : byC.entrySet()) {
            int c = Integer.parseInt(keyPart(e.getKey()));
            Map<String, Score> m = e.getValue();
            Score chol = get(m, "cholesky");
            Score cholMt = get(m, "choleskyMt");
            Score lib = get(m, "library");
            Score qr = get(m, "qr");
            Score qrMt = get(m, "qrMt");
            Score gram = get(m, "gramCholesky");
            Score gramMt = get(m, "gramCholeskyMt");
            sb.append(String.format(Locale.ROOT, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    c, 9 * c, time(chol), time(cholMt), time(lib), time(qr), time(qrMt), time(gram), time(gramMt),
                    ratio(chol, cholMt), ratio(qr, qrMt), ratio(qr, gram), ratio(qr, chol)));
        }
        return sb.append('\n').toString();
    }

    static String prune(List<Score> scores) {
        Map<String, Map<String, Score>> rows = group(scores, "PruneBenchmark",
                s -> s.param("model", "vgg16_bn") + "|" + s.param("images", "64") + "|" + s.param("batch", "?"));
        if (rows.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("### End to end (PruneBenchmark): pruning / one forward pass of the "
                + "calibration images\n\n");
        sb.append("| model | images | batch | prune | forward of the images | prune / forward |\n");
        sb.append("|---|---:|---:|---:|---:|---:|\n");
        for (var e : rows.entrySet()) {
            String[] k = keyPart(e.getKey()).split("\\|");
            Score prune = get(e.getValue(), "prune");
            Score fwd = get(e.getValue(), "forward");
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", k[0], k[1], k[2], time(prune),
                    time(fwd), ratio(prune, fwd)));
        }
        return sb.append('\n').toString();
    }

    static String forward(List<Score> scores) {
        Map<String, Map<String, Score>> rows = new TreeMap<>();
        for (Score s : scores) {
            if (s.benchmark().equals("ForwardBenchmark")) {
                String model = s.params().get("model");
                if ("onnx".equals(model)) {
                    // ONNX-file variant: the file's name stands for the model
                    String f = s.params().getOrDefault("file", "-");
                    model = Path.of(f).getFileName().toString().replaceFirst("\\.onnx$", "");
                }
                String key = s.file() + "\u0000" + model + "|"
                        + String.format(Locale.ROOT, "%03d", s.param("batch"));
                rows.computeIfAbsent(key, k -> new HashMap<>()).put(s.params().get("runtime"), s);
            }
        }
        if (rows.isEmpty()) {
            return "";
        }
        StringBuilder sb = new StringBuilder("### Forward pass (ForwardBenchmark): ours / ONNX Runtime, same threads\n\n");
        sb.append("| model | batch | ours (per batch) | ORT (per batch) | ours / ORT |\n|---|---:|---:|---:|---:|\n");
        for (var e : rows.entrySet()) {
            String[] k = keyPart(e.getKey()).split("\\|");
            Score ours = e.getValue().get("thinet4j");
            Score ort = e.getValue().get("onnxruntime");
            sb.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s |%n",
                    k[0], Integer.parseInt(k[1]), time(ours), time(ort), ratio(ours, ort)));
        }
        return sb.append('\n').toString();
    }

    /** median [min–max] of a score, or a dash. */
    static String time(Score s) {
        if (s == null || Double.isNaN(s.ms())) {
            return "–";
        }
        if (s.n() <= 1 || s.minMs() == s.maxMs()) {
            return ms(s.ms());
        }
        return ms(s.ms()) + " [" + ms(s.minMs()) + "–" + ms(s.maxMs()) + "]";
    }

    /** a/b as median(a)/median(b) [min(a)/max(b) – max(a)/min(b)], or a dash. */
    static String ratio(Score a, Score b) {
        if (a == null || b == null || Double.isNaN(a.ms()) || Double.isNaN(b.ms())) {
            return "–";
        }
        String mid = ratio(a.ms() / b.ms());
        double lo = a.minMs() / b.maxMs();
        double hi = a.maxMs() / b.minMs();
        if (lo == hi) {
            return mid;
        }
        return mid + " [" + ratio(lo).replace("×", "") + "–" + ratio(hi) + "]";
    }

    static String ms(double v) {
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

    static String ratio(double r) {
        if (Double.isNaN(r)) {
            return "–";
        }
        if (r >= 100) {
            return String.format(Locale.ROOT, "%,.0f×", r);
        }
        return String.format(Locale.ROOT, "%.2f×", r);
    }
}
