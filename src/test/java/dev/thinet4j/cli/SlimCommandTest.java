package dev.thinet4j.cli;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code thinet4j slim} on the keep-BN fixtures. */
class SlimCommandTest {
    static final Path FIX = Path.of("src/test/resources/fixtures");

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void slimPrintsTheTableAndWritesASmallerModel(@TempDir Path dir) throws Exception {
        Path model = FIX.resolve("vgg_bn_fc_keepbn.onnx");
        byte[] original = Files.readAllBytes(model);
        Path out = dir.resolve("slim.onnx");
        Run r = run("slim", "--model", model.toString(), "--out", out.toString(), "--global-percent", "0.5",
                "--layer-keep", "0.1");
        assertEquals(0, r.code, r.err);
        assertArrayEquals(original, Files.readAllBytes(model), "the input model must not change");
        Network slim = OnnxImporter.load(out);
        String after = ModelSize.of(slim).totalLine();
        assertThat(r.out).contains("before: total params=147162 macs=7413248").contains("after: " + after)
                .contains("threshold: |gamma| < ").contains("/features/features.0/Conv").containsPattern("bn layers +6 +6")
                .containsPattern("bn channels +224 +112").contains("wrote " + out);
        assertEquals(6, slim.nodesOf(Op.BatchNorm.class).size());
    }

    @Test
    void slimCanRemoveBlocksAndSwitchOffAbsorption(@TempDir Path dir) {
        Path out = dir.resolve("r.onnx");
        Run r = run("slim", "--model", FIX.resolve("resnet_bottleneck_keepbn.onnx").toString(), "--out", out.toString(),
                "--global-percent", "0.3", "--remove-blocks", "1", "--depthwise", "intersect", "--no-absorb");
        assertEquals(0, r.code, r.err);
        assertThat(r.out).containsPattern("removed block /layer\\d/layer\\d\\.1/Add").contains("no absorption")
                .containsPattern("bn layers +22 +19");
        assertEquals(5, OnnxImporter.load(out).nodesOf(Op.Add.class).size());
    }

    @Test
    void mistakesAreUsageErrorsOrOneLineFailures(@TempDir Path dir) {
        String model = FIX.resolve("resnet_bottleneck_keepbn.onnx").toString();
        String out = dir.resolve("o.onnx").toString();
        Run bad = run("slim", "--model", model, "--out", out, "--global-percent", "1");
        assertEquals(2, bad.code);
        assertThat(bad.err).contains("--global-percent must be a number in [0, 1)");
        Run missing = run("slim", "--model", model, "--out", out);
        assertEquals(2, missing.code);
        assertThat(missing.err).contains("--global-percent");
        Run strategy = run("slim", "--model", model, "--out", out, "--global-percent", "0.3", "--depthwise", "union");
        assertEquals(2, strategy.code);
        assertThat(strategy.err).contains("union").contains("keep-larger");
        Run same = run("slim", "--model", model, "--out", model, "--global-percent", "0.3");
        assertEquals(2, same.code);
        assertThat(same.err).contains("refusing to overwrite");
        Run blocks = run("slim", "--model", model, "--out", out, "--global-percent", "0.3", "--remove-blocks", "4");
        assertEquals(1, blocks.code);
        assertThat(blocks.err).contains("cannot remove 4").contains("only 3").doesNotContain("\n\n");
    }
}
