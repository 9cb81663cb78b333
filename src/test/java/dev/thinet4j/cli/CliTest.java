package dev.thinet4j.cli;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxImporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The command line as a user drives it, on the PyTorch-exported fixtures and the shipped data. */
class CliTest {
    static final Path FIX = Path.of("src/test/resources/fixtures");
    static final Path DATA = Path.of("data/fashion-mnist");

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
    void infoPrintsTheTotalsCountedIndependentlyByPyTorch() {
        // params_folded / macs from tools/fixtures/make_fixtures.py (forward hooks in PyTorch)
        Run r = run("info", "--model", FIX.resolve("vgg_bn_fc.onnx").toString());
        assertEquals(0, r.code, r.err);
        assertThat(r.out.strip().lines().reduce((a, b) -> b).orElseThrow()).isEqualTo("total params=146938 macs=7413248");
        Run res = run("info", "--model", FIX.resolve("resnet_bottleneck.onnx").toString());
        assertThat(res.out).contains("total params=56106 macs=6737408");
        // BN kept: BN scale and shift count as parameters, as in PyTorch (147162)
        Run keep = run("info", "--model", FIX.resolve("vgg_bn_fc_keepbn.onnx").toString());
        assertThat(keep.out).contains("total params=147162 macs=7413248");
    }

    @Test
    void infoWithAnotherInputShapeScalesTheMacs() {
        Run r = run("info", "--model", FIX.resolve("resnet_bottleneck.onnx").toString(), "--input-shape", "1x1x56x56");
        assertEquals(0, r.code, r.err);
        // conv MACs scale with the 4x area; the linear head after global pooling (128·10) does not
        assertThat(r.out).contains("total params=56106 macs=" + ((6737408L - 1280) * 4 + 1280));
    }

    @Test
    void evalGivesPyTorchsAccuracy() {
        Run r = run("eval", "--model", FIX.resolve("vgg_bn_fc.onnx").toString(), "--data",
                DATA.resolve("t10k-images-idx3-ubyte.gz").toString(), "--labels",
                DATA.resolve("t10k-labels-idx1-ubyte.gz").toString());
        assertEquals(0, r.code, r.err);
        assertThat(r.out).contains("accuracy=0.899500").contains("images=2000");
        Run limited = run("eval", "--model", FIX.resolve("vgg_bn_fc_keepbn.onnx").toString(), "--data",
                DATA.resolve("t10k-images-idx3-ubyte.gz").toString(), "--labels",
                DATA.resolve("t10k-labels-idx1-ubyte.gz").toString(), "--limit", "100");
        assertThat(limited.out).contains("images=100");
    }

    @Test
    void pruneWritesAModelOnnxRuntimeRunsWithTheExpectedWidths(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("pruned.onnx");
        Path report = dir.resolve("report.csv");
        Path model = FIX.resolve("vgg_bn_fc_keepbn.onnx");
        byte[] original = Files.readAllBytes(model);
        Run r = run("prune", "--model", model.toString(), "--data", DATA.resolve("train-images-idx3-ubyte.gz").toString(),
                "--out", out.toString(), "--policy", "vgg", "--ratio", "0.5", "--images", "40", "--points", "5",
                "--report", report.toString());
        assertEquals(0, r.code, r.err);
        assertThat(r.out).contains("before: total params=147162").contains("after: total params=").contains("wrote");
        assertArrayEquals(original, Files.readAllBytes(model), "the input model must not change");
        Network pruned = OnnxImporter.load(out);
        assertEquals(List3.of(8, 8, 16, 32, 64, 64), pruned.nodesOf(Op.Conv.class).stream()
                .map(n -> ((Op.Conv) n.op()).outChannels()).toList());
        assertThat(Files.readString(report)).contains("# policy=vgg").contains("channels_before");

        try (OrtEnvironment env = OrtEnvironment.getEnvironment();
             OrtSession s = env.createSession(out.toString(), new OrtSession.SessionOptions());
             ai.onnxruntime.OnnxTensor x = ai.onnxruntime.OnnxTensor.createTensor(env,
                     FloatBuffer.wrap(new float[2 * 28 * 28]), new long[]{2, 1, 28, 28});
             OrtSession.Result y = s.run(Map.of("input", x))) {
            float[][] logits = (float[][]) y.get(0).getValue();
            assertEquals(2, logits.length);
            assertEquals(10, logits[0].length);
        }
    }

    @Test
    void pruneFineTunesWhenGivenTrainingLabels(@TempDir Path dir) {
        Path out = dir.resolve("ft.onnx");
        Run r = run("prune", "--model", FIX.resolve("vgg_bn_fc.onnx").toString(), "--data",
                DATA.resolve("t10k-images-idx3-ubyte.gz").toString(), "--train-labels",
                DATA.resolve("t10k-labels-idx1-ubyte.gz").toString(), "--out", out.toString(), "--policy", "vgg",
                "--ratio", "0.5", "--images", "40", "--points", "5", "--finetune-layer-iterations", "3",
                "--finetune-epochs", "1", "--eval-data", DATA.resolve("t10k-images-idx3-ubyte.gz").toString(),
                "--labels", DATA.resolve("t10k-labels-idx1-ubyte.gz").toString(), "--eval-limit", "300");
        assertEquals(0, r.code, r.err);
        assertThat(r.out).contains("after: accuracy=").contains("wrote");
        Run missing = run("prune", "--model", FIX.resolve("vgg_bn_fc.onnx").toString(), "--data",
                DATA.resolve("t10k-images-idx3-ubyte.gz").toString(), "--out", out.toString(), "--finetune-epochs", "1");
        assertEquals(2, missing.code);
        assertThat(missing.err).contains("--train-labels");
    }

    @Test
    void resnetPolicyKeepsEveryBlockOutputWidth(@TempDir Path dir) {
        Path out = dir.resolve("r.onnx");
        Network before = OnnxImporter.load(FIX.resolve("resnet_bottleneck_keepbn.onnx"));
        Run r = run("prune", "--model", FIX.resolve("resnet_bottleneck_keepbn.onnx").toString(), "--data",
                DATA.resolve("train-images-idx3-ubyte.gz").toString(), "--out", out.toString(), "--policy", "resnet",
                "--ratio", "0.5", "--images", "30", "--points", "4", "--reconstruct", "scale");
        assertEquals(0, r.code, r.err);
        Network after = OnnxImporter.load(out);
        for (var add : before.nodesOf(Op.Add.class)) {
            assertEquals(before.shapes(1).get(add.name())[1], after.shapes(1).get(add.name())[1], add.name());
        }
        assertThat(dev.thinet4j.model.ModelSize.of(after).totalMacs())
                .isLessThan(dev.thinet4j.model.ModelSize.of(before).totalMacs());
    }

    @Test
    void mistakesGiveOneLineErrorsAndExitCodes(@TempDir Path dir) throws Exception {
        Run unknown = run("frobnicate");
        assertEquals(2, unknown.code);
        assertThat(unknown.err).contains("unknown command 'frobnicate'");

        Run missing = run("info");
        assertEquals(2, missing.code);
        assertThat(missing.err).contains("missing required option --model");

        Run typo = run("info", "--model", FIX.resolve("vgg_bn_fc.onnx").toString(), "--modle", "x");
        assertEquals(2, typo.code);
        assertThat(typo.err).contains("unknown option --modle");

        Run garbage = run("info", "--model", FIX.resolve("bad/garbage.onnx").toString());
        assertEquals(1, garbage.code);
        assertThat(garbage.err.strip().lines().count()).isEqualTo(1);
        assertThat(garbage.err).contains("garbage.onnx");

        Run unsupported = run("info", "--model", FIX.resolve("bad/unsupported_op.onnx").toString());
        assertEquals(1, unsupported.code);
        assertThat(unsupported.err).contains("weird_node").contains("supported:");

        Path model = dir.resolve("m.onnx");
        Files.copy(FIX.resolve("vgg_bn_fc.onnx"), model);
        Run self = run("prune", "--model", model.toString(), "--data", DATA.resolve("train-images-idx3-ubyte.gz").toString(),
                "--out", model.toString());
        assertEquals(2, self.code);
        assertThat(self.err).contains("refusing to overwrite");

        Path data = dir.resolve("calib.gz");
        Files.copy(DATA.resolve("t10k-images-idx3-ubyte.gz"), data);
        byte[] dataBytes = Files.readAllBytes(data);
        Run reportOverModel = run("prune", "--model", model.toString(), "--data", data.toString(),
                "--out", dir.resolve("o.onnx").toString(), "--report", model.toString());
        assertEquals(2, reportOverModel.code);
        assertThat(reportOverModel.err).contains("--report").contains("is the input model");
        Run outOverData = run("prune", "--model", model.toString(), "--data", data.toString(), "--out", data.toString());
        assertEquals(2, outOverData.code);
        assertThat(outOverData.err).contains("is the input data");
        Run sameOutputs = run("prune", "--model", model.toString(), "--data", data.toString(),
                "--out", dir.resolve("o.onnx").toString(), "--report", dir.resolve("o.onnx").toString());
        assertEquals(2, sameOutputs.code);
        assertThat(sameOutputs.err).contains("--report and --out are the same file");
        assertArrayEquals(Files.readAllBytes(FIX.resolve("vgg_bn_fc.onnx")), Files.readAllBytes(model));
        assertArrayEquals(dataBytes, Files.readAllBytes(data));

        Run ratio = run("prune", "--model", model.toString(), "--data", DATA.resolve("train-images-idx3-ubyte.gz").toString(),
                "--out", dir.resolve("o.onnx").toString(), "--ratio", "1.5");
        assertEquals(2, ratio.code);
        assertThat(ratio.err).contains("--ratio must be a number in [0, 1)");

        Run criterion = run("prune", "--model", model.toString(), "--data", DATA.resolve("train-images-idx3-ubyte.gz").toString(),
                "--out", dir.resolve("o.onnx").toString(), "--criterion", "magic");
        assertEquals(2, criterion.code);
        assertThat(criterion.err).contains("magic").contains("thinet");

        Run wrongData = run("eval", "--model", model.toString(), "--data", FIX.resolve("zoo/zoo_acts.input.npy").toString(),
                "--labels", DATA.resolve("t10k-labels-idx1-ubyte.gz").toString());
        assertEquals(1, wrongData.code);
        assertThat(wrongData.err).contains("3x32x32").contains("1x28x28");
        assertThat(Files.exists(dir.resolve("o.onnx"))).isFalse();
    }

    /** Tiny helper to keep the width list readable. */
    private static final class List3 {
        static java.util.List<Integer> of(Integer... v) {
            return java.util.List.of(v);
        }
    }
}
