package dev.thinet4j.cli;

import dev.thinet4j.budget.Metric;
import dev.thinet4j.budget.SensitivityTable;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code thinet4j sensitivity} on the PyTorch-exported VGG and the shipped Fashion-MNIST test subset. */
class SensitivityCommandTest {
    private static final String MODEL = CliTest.FIX.resolve("vgg_bn_fc_keepbn.onnx").toString();
    private static final String IMAGES = CliTest.DATA.resolve("t10k-images-idx3-ubyte.gz").toString();
    private static final String LABELS = CliTest.DATA.resolve("t10k-labels-idx1-ubyte.gz").toString();

    @Test
    void writesTheTableTheChartAndABudgetPolicy(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("s.csv");
        Path html = dir.resolve("s.html");
        Path policy = dir.resolve("p.csv");
        CliTest.Run r = CliTest.run("sensitivity", "--model", MODEL, "--data", IMAGES, "--labels", LABELS,
                "--out", csv.toString(), "--html", html.toString(), "--criterion", "fpgm", "--reconstruct", "none",
                "--ratios", "0.5,0.25", "--images", "16", "--eval-images", "64", "--batch", "32",
                "--target-macs", "0.8", "--damage", "metric", "--policy-out", policy.toString());
        assertEquals(0, r.code(), r.err());
        assertThat(r.out()).contains("accuracy on 64 held-out images").contains("[6/6] /features/features.17/Conv")
                .contains("cost: sampling 0 passes").contains("wrote " + csv).contains("macs kept 0.")
                .contains("wrote " + policy);
        SensitivityTable t = SensitivityTable.readCsv(csv);
        assertEquals(Metric.ACCURACY, t.metric());
        assertEquals(12, t.rows().size());
        assertEquals(64, t.images());
        assertThat(Files.readString(html)).contains("<svg").contains("/features/features.0/Conv");
        Network net = OnnxImporter.load(Path.of(MODEL));
        assertThat(Policies.csv(policy).plan(net)).isNotEmpty();
    }

    @Test
    void wrongOptionsAreUsageErrors(@TempDir Path dir) {
        String out = dir.resolve("s.csv").toString();
        CliTest.Run bad = CliTest.run("sensitivity", "--model", MODEL, "--data", IMAGES, "--out", out,
                "--ratios", "0.5,1.5");
        assertEquals(2, bad.code());
        assertThat(bad.err()).contains("--ratios");
        CliTest.Run noTarget = CliTest.run("sensitivity", "--model", MODEL, "--data", IMAGES, "--out", out,
                "--policy-out", dir.resolve("p.csv").toString());
        assertEquals(2, noTarget.code());
        assertThat(noTarget.err()).contains("--policy-out needs --target-macs");
        CliTest.Run both = CliTest.run("sensitivity", "--model", MODEL, "--data", IMAGES, "--out", out,
                "--target-macs", "0.5", "--target-params", "0.5");
        assertEquals(2, both.code());
        CliTest.Run badDamage = CliTest.run("sensitivity", "--model", MODEL, "--data", IMAGES, "--out", out,
                "--target-macs", "0.5", "--damage", "accuracy");
        assertEquals(2, badDamage.code());
        assertThat(badDamage.err()).contains("squared-logit, metric");
        CliTest.Run gap = CliTest.run("sensitivity", "--model", MODEL, "--data", IMAGES, "--out", out,
                "--policy", "vgg-gap");
        assertEquals(2, gap.code());
        assertThat(gap.err()).contains("'vgg-gap'").contains("--policy vgg");
        CliTest.Run tooMany = CliTest.run("sensitivity", "--model", MODEL, "--data", IMAGES, "--out", out,
                "--images", "1500", "--eval-images", "600", "--criterion", "l1", "--reconstruct", "none");
        assertEquals(1, tooMany.code());
        assertThat(tooMany.err()).contains("at most 500 held-out images");
    }
}
