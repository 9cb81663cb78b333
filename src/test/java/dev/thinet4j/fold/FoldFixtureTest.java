package dev.thinet4j.fold;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.Labels;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PyTorch exports that keep their BatchNorms, folded: no BN left, ONNX Runtime gives the same
 * outputs for the original file and the exported folded file, the sizes are those of PyTorch's own
 * BN-folded export, and the top-1 accuracy on the shipped 2,000 test images is unchanged.
 */
class FoldFixtureTest {
    private static final Path FIX = Path.of("src/test/resources/fixtures");
    private static final Path DATA = Path.of("data/fashion-mnist");

    @TempDir
    Path tmp;

    /** params / macs: PyTorch's counts of the BN-folded model (expected.json "params_folded", "macs"). */
    @ParameterizedTest
    @CsvSource({"vgg_bn_fc, 146938, 7413248", "resnet_bottleneck, 56106, 6737408"})
    void foldedFixtureMatchesTheOriginalEverywhere(String family, long params, long macs) throws Exception {
        Path original = FIX.resolve(family + "_keepbn.onnx");
        Network net = OnnxImporter.load(original);
        assertThat(net.nodesOf(Op.BatchNorm.class)).isNotEmpty();

        FoldResult res = Folding.foldAll(net);
        Network folded = res.network();

        assertEquals(0, folded.nodesOf(Op.BatchNorm.class).size(), () -> "left: " + res.skipped());
        assertThat(res.changes()).allMatch(c -> c.kind() == FoldChange.Kind.BN_INTO_CONV);
        assertEquals(net.nodesOf(Op.BatchNorm.class).size(), res.changes().size());
        ModelSize size = ModelSize.of(folded);
        assertEquals(params, size.totalParams(), "params of PyTorch's folded export");
        assertEquals(macs, size.totalMacs());
        assertEquals(net.outputs(), folded.outputs());

        Path out = tmp.resolve(family + "_folded.onnx");
        OnnxExporter.save(folded, out);
        float[] x = readNpy(FIX.resolve(family + ".input.npy"));
        long[] shape = {x.length / (28 * 28), 1, 28, 28};
        float[] want = ort(original, x, shape);
        float[] got = ort(out, x, shape);
        double err = relError(got, want);
        assertTrue(err <= 1e-5, "ONNX Runtime: folded vs original, relative error " + err);
        // and PyTorch's own folded export agrees too (its folding rounds differently: looser)
        float[] torchFolded = ort(FIX.resolve(family + ".onnx"), x, shape);
        assertTrue(relError(got, torchFolded) <= 1e-4, "vs PyTorch's folded export: " + relError(got, torchFolded));

        String json = Files.readString(FIX.resolve(family + ".expected.json"));
        double reference = keepBnAccuracy(json, family);
        assertEquals(reference, accuracy(OnnxImporter.load(out)), 1e-9,
                "top-1 accuracy of the folded export (InferenceEngine) vs the original's on the 2,000 test images");
    }

    /** The original's accuracy: "numpy_reference_test_accuracy" of {@code <family>_keepbn.onnx}. */
    private static double keepBnAccuracy(String json, String family) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(family + "_keepbn.onnx") + "\"\\s*:\\s*([0-9.]+)").matcher(json);
        assertTrue(m.find(), "no reference accuracy for " + family + "_keepbn.onnx in expected.json");
        return Double.parseDouble(m.group(1));
    }

    /** Top-1 accuracy through InferenceEngine on the shipped test subset. */
    private static double accuracy(Network net) throws IOException {
        int[] labels = Labels.read(DATA.resolve("t10k-labels-idx1-ubyte.gz"));
        long correct = 0;
        int seen = 0;
        try (ImageSource src = ImageSources.open(DATA.resolve("t10k-images-idx3-ubyte.gz"));
             InferenceEngine engine = new InferenceEngine(net)) {
            for (Batch b : src.batches(250)) {
                try (INDArray in = b.toINDArray(); INDArray logits = engine.forward(in);
                     INDArray pred = logits.argMax(1)) {
                    for (int i = 0; i < b.n(); i++) {
                        if (pred.getInt(i) == labels[b.offset() + i]) {
                            correct++;
                        }
                    }
                }
                seen += b.n();
            }
        }
        assertEquals(2000, seen);
        return (double) correct / seen;
    }

    /** max |a − b| / max(1, max |b|). */
    private static double relError(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double diff = 0;
        double ref = 1;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
            ref = Math.max(ref, Math.abs(b[i]));
        }
        return diff / ref;
    }

    /** ONNX Runtime, one thread, no graph optimisation (so it does not fold the BNs itself). */
    static float[] ort(Path model, float[] x, long[] shape) throws Exception {
        ai.onnxruntime.OrtEnvironment env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (ai.onnxruntime.OrtSession.SessionOptions opts = new ai.onnxruntime.OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (ai.onnxruntime.OrtSession s = env.createSession(model.toString(), opts);
                 ai.onnxruntime.OnnxTensor in = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 ai.onnxruntime.OrtSession.Result r = s.run(Map.of("input", in))) {
                FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        }
    }

    /** A little-endian float32 C-order .npy (the fixtures' sample inputs). */
    static float[] readNpy(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int headerLen = ByteBuffer.wrap(b, 8, 2).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xFFFF;
        String header = new String(b, 10, headerLen, StandardCharsets.ISO_8859_1);
        assertThat(header).contains("'<f4'").contains("'fortran_order': False");
        Matcher m = Pattern.compile("'shape':\\s*\\(([^)]*)\\)").matcher(header);
        assertTrue(m.find(), header);
        int n = 1;
        for (String d : m.group(1).split(",")) {
            if (!d.isBlank()) {
                n *= Integer.parseInt(d.trim());
            }
        }
        float[] out = new float[n];
        ByteBuffer.wrap(b, 10 + headerLen, 4 * n).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }
}
