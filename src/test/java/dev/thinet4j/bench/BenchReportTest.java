package dev.thinet4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link BenchReport} on hand-written JMH JSON: medians, ranges and ratios from the iterations. */
class BenchReportTest {

    private static String result(String benchmark, String unit, String params, double... raw) {
        StringBuilder r = new StringBuilder();
        for (double v : raw) {
            r.append(r.length() == 0 ? "" : ",").append(v);
        }
        return "{\"benchmark\":\"dev.thinet4j.bench." + benchmark + "\",\"mode\":\"ss\",\"params\":{" + params + "},"
                + "\"primaryMetric\":{\"score\":0,\"scoreUnit\":\"" + unit + "\",\"rawData\":[[" + r + "]]}}";
    }

    @Test
    void prunePerForwardFromIterations(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("prune.json");
        Files.writeString(f, "[" + result("PruneBenchmark.prune", "s/op", "\"batch\":\"8\",\"model\":\"resnet50\"",
                30, 20, 25) + "," + result("PruneBenchmark.forward", "s/op", "\"batch\":\"8\",\"model\":\"resnet50\"",
                10, 11, 9) + "]", StandardCharsets.UTF_8);
        List<BenchReport.Score> scores = BenchReport.read(f);
        assertEquals(2, scores.size());
        BenchReport.Score prune = scores.get(0);
        assertEquals("PruneBenchmark", prune.benchmark());
        assertEquals("prune", prune.method());
        assertEquals(25_000, prune.ms(), 1e-9);
        assertEquals(20_000, prune.minMs(), 1e-9);
        assertEquals(30_000, prune.maxMs(), 1e-9);
        assertEquals("2.50× [1.82–3.33×]", BenchReport.ratio(prune, scores.get(1)));
        assertThat(BenchReport.report(scores))
                .contains("| resnet50 | 64 | 8 | 25.00 s [20.00 s–30.00 s] | 10.00 s [9.00 s–11.00 s] | 2.50× [1.82–3.33×] |");
    }

    @Test
    void selectionExtrapolatesTheNaiveSteps(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("sel.json");
        String p = "\"channels\":\"64\",\"samples\":\"100000\",\"steps\":\"2\"";
        Files.writeString(f, "[" + result("SelectionBenchmark.greedy", "us/op", p, 10, 10, 10) + ","
                + result("SelectionBenchmark.gramNd4j", "ms/op", p, 30, 30, 30) + ","
                + result("SelectionBenchmark.naiveRunning", "ms/op", p, 40, 40, 40) + "]", StandardCharsets.UTF_8);
        String table = BenchReport.report(BenchReport.read(f));
        double whole = NaiveThiNetGreedy.extrapolate(40, NaiveThiNetGreedy.Variant.RUNNING, 64, 2, 32);
        assertThat(table).contains("| 64 | 100000 | 10.0 µs | 30.0 ms | – | " + BenchReport.ms(whole) + " |");
        assertThat(table).contains(BenchReport.ratio(whole / 0.01));
    }
}
