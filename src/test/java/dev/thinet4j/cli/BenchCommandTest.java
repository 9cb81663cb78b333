package dev.thinet4j.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code thinet4j bench} as a user drives it, on a shipped fixture and the shipped data. */
class BenchCommandTest {
    private static final String MODEL = CliTest.FIX.resolve("vgg_bn_fc_keepbn.onnx").toString();
    private static final String DATA = CliTest.DATA.resolve("t10k-images-idx3-ubyte.gz").toString();

    @Test
    void printsThroughputMedianAndSpreadLines() {
        CliTest.Run r = CliTest.run("bench", "--model", MODEL, "--data", DATA, "--batch", "4", "--warmup", "1",
                "--repeats", "5", "--limit", "12", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertThat(lines.get(0)).contains("images=12").contains("batch=4").contains("repeats=5").contains("threads=1");
        String number = "[0-9]+(\\.[0-9]+)?";
        assertThat(lines).anyMatch(l -> l.matches("images_per_second=" + number));
        assertThat(lines).anyMatch(l -> l.matches("median_batch_ms=" + number));
        assertThat(lines).anyMatch(l -> l.matches("p10_batch_ms=" + number));
        assertThat(lines).anyMatch(l -> l.matches("p90_batch_ms=" + number));
        double median = value(lines, "median_batch_ms");
        assertThat(value(lines, "p10_batch_ms")).isLessThanOrEqualTo(median);
        assertThat(value(lines, "p90_batch_ms")).isGreaterThanOrEqualTo(median);
        assertEquals(4 / (median / 1000), value(lines, "images_per_second"), 1e-3 * value(lines, "images_per_second"));
    }

    @Test
    void defaultsUseBatchTimesRepeatsImages() {
        CliTest.Run r = CliTest.run("bench", "--model", MODEL, "--data", DATA, "--batch", "2", "--repeats", "3",
                "--warmup", "0");
        assertEquals(0, r.code(), r.err());
        assertThat(r.out()).contains("images=6").contains("batch=2");
    }

    @Test
    void wrongOptionsAreUsageErrors() {
        assertEquals(2, CliTest.run("bench", "--model", MODEL, "--data", DATA, "--batch", "0").code());
        assertEquals(2, CliTest.run("bench", "--model", MODEL, "--data", DATA, "--repeats", "0").code());
        assertEquals(2, CliTest.run("bench", "--model", MODEL, "--data", DATA, "--threads", "0").code());
        assertEquals(2, CliTest.run("bench", "--model", MODEL).code());
        CliTest.Run help = CliTest.run("help");
        assertThat(help.out()).contains("thinet4j bench --model");
    }

    private static double value(List<String> lines, String key) {
        return lines.stream().filter(l -> l.startsWith(key + "=")).map(l -> Double.parseDouble(l.substring(key.length() + 1)))
                .findFirst().orElseThrow();
    }
}
