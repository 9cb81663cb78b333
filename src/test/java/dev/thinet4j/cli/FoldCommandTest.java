package dev.thinet4j.cli;

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
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code thinet4j fold} on the PyTorch export that keeps its BatchNorms. */
class FoldCommandTest {
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
    void foldsEveryBatchNormAndPrintsTheSizes(@TempDir Path dir) throws Exception {
        Path model = FIX.resolve("vgg_bn_fc_keepbn.onnx");
        Path out = dir.resolve("folded.onnx");
        byte[] original = Files.readAllBytes(model);

        Run r = run("fold", "--model", model.toString(), "--out", out.toString());

        assertEquals(0, r.code, r.err);
        // 147162 − 2·(BN channels 8+8+16+32+64+64 = 192) + 0 new biases (the convs had biases) = PyTorch's 146938
        assertThat(r.out).contains("before: total params=147162 macs=7413248").contains("before: batchnorm=6")
                .contains("after: total params=146938 macs=7413248").contains("after: batchnorm=0")
                .contains("changes=6").contains("wrote " + out);
        assertThat(r.out.lines().filter(l -> l.startsWith("folded ")).count()).isEqualTo(6);
        assertArrayEquals(original, Files.readAllBytes(model), "the input model must not change");
        Network folded = OnnxImporter.load(out);
        assertEquals(0, folded.nodesOf(Op.BatchNorm.class).size());

        float[] x = new float[3 * 28 * 28];
        Random rnd = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextFloat();
        }
        float[] want = ort(model, x);
        float[] got = ort(out, x);
        double diff = 0;
        double ref = 1;
        for (int i = 0; i < want.length; i++) {
            diff = Math.max(diff, Math.abs(want[i] - got[i]));
            ref = Math.max(ref, Math.abs(want[i]));
        }
        assertTrue(diff / ref <= 1e-5, "relative error " + diff / ref);
    }

    @Test
    void refusesToOverwriteItsInputAndRejectsMistakes(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("m.onnx");
        Files.copy(FIX.resolve("vgg_bn_fc_keepbn.onnx"), model);
        byte[] before = Files.readAllBytes(model);

        Run self = run("fold", "--model", model.toString(), "--out", model.toString());
        assertEquals(2, self.code);
        assertThat(self.err).contains("refusing to overwrite").contains("usage: thinet4j fold");
        Run alias = run("fold", "--model", model.toString(), "--out", dir.resolve(".").resolve("m.onnx").toString());
        assertEquals(2, alias.code);
        assertArrayEquals(before, Files.readAllBytes(model));

        Run noOut = run("fold", "--model", model.toString());
        assertEquals(2, noOut.code);
        assertThat(noOut.err).contains("missing required option --out");
        Run typo = run("fold", "--model", model.toString(), "--out", dir.resolve("o.onnx").toString(), "--avgpol=true");
        assertEquals(2, typo.code);
        assertThat(typo.err).contains("unknown option --avgpol");
        Run bad = run("fold", "--model", FIX.resolve("bad/garbage.onnx").toString(), "--out", dir.resolve("o.onnx").toString());
        assertEquals(1, bad.code);
        assertThat(Files.exists(dir.resolve("o.onnx"))).isFalse();

        Run help = run("help");
        assertThat(help.out).contains("thinet4j fold --model IN.onnx --out OUT.onnx");
    }

    private static float[] ort(Path model, float[] x) throws Exception {
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (ai.onnxruntime.OrtSession.SessionOptions opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (ai.onnxruntime.OrtSession s = env.createSession(model.toString(), opts);
                 ai.onnxruntime.OnnxTensor in = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(x),
                         new long[]{3, 1, 28, 28});
                 ai.onnxruntime.OrtSession.Result r = s.run(Map.of("input", in))) {
                FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        }
    }
}
