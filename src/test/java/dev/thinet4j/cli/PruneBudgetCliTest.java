package dev.thinet4j.cli;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.Policies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.thinet4j.cli.CliTest.DATA;
import static dev.thinet4j.cli.CliTest.FIX;
import static dev.thinet4j.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** {@code prune --target-macs / --target-params / --target-latency} and {@code --bn-recalibrate}. */
class PruneBudgetCliTest {
    static final String TRAIN = DATA.resolve("train-images-idx3-ubyte.gz").toString();
    static final String VGG = FIX.resolve("vgg_bn_fc.onnx").toString();
    static final String VGG_BN = FIX.resolve("vgg_bn_fc_keepbn.onnx").toString();

    private static List<Integer> convWidths(Network net) {
        return net.nodesOf(Op.Conv.class).stream().map(n -> ((Op.Conv) n.op()).outChannels()).toList();
    }

    @Test
    void budgetOptionsAreCheckedBeforeAnyWork(@TempDir Path dir) {
        String out = dir.resolve("o.onnx").toString();
        CliTest.Run withRatio = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--ratio", "0.5",
                "--target-macs", "0.5");
        assertEquals(2, withRatio.code());
        assertThat(withRatio.err()).contains("--ratio and --target-macs are mutually exclusive");
        CliTest.Run two = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-macs", "0.5",
                "--target-params", "0.5");
        assertEquals(2, two.code());
        assertThat(two.err()).contains("--target-macs and --target-params are mutually exclusive");
        CliTest.Run latency = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-params", "0.5",
                "--target-latency", "0.5");
        assertEquals(2, latency.code());
        assertThat(latency.err()).contains("--target-params and --target-latency are mutually exclusive");
        CliTest.Run range = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-macs", "1.5");
        assertEquals(2, range.code());
        assertThat(range.err()).contains("--target-macs must be the fraction of the original to keep")
                .contains("(0, 1]").contains("'1.5'");
        CliTest.Run zero = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-params", "0");
        assertEquals(2, zero.code());
        assertThat(zero.err()).contains("--target-params must be");
        CliTest.Run word = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-macs", "half");
        assertEquals(2, word.code());
        CliTest.Run multipleAlone = run("prune", "--model", VGG, "--data", TRAIN, "--out", out,
                "--channel-multiple", "8");
        assertEquals(2, multipleAlone.code());
        assertThat(multipleAlone.err()).contains("--channel-multiple only applies to a budget");
        CliTest.Run badMultiple = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-macs",
                "0.5", "--channel-multiple", "0");
        assertEquals(2, badMultiple.code());
        assertThat(badMultiple.err()).contains("--channel-multiple must be a positive integer");
        CliTest.Run latencyOption = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-macs",
                "0.5", "--latency-repeats", "5");
        assertEquals(2, latencyOption.code());
        assertThat(latencyOption.err()).contains("--latency-repeats only applies to --target-latency");
        CliTest.Run evalImages = run("prune", "--model", VGG, "--data", TRAIN, "--out", out, "--target-macs",
                "0.5", "--eval-images", "0");
        assertEquals(2, evalImages.code());
        assertThat(evalImages.err()).contains("--eval-images must be positive");
        assertThat(dir.resolve("o.onnx")).doesNotExist();
    }

    @Test
    void targetMacsHalfOnTheVggFixtureLandsWithinTwoPercentAndRoundsChannels(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("half.onnx");
        Path policy = dir.resolve("policy.csv");
        CliTest.Run r = run("prune", "--model", VGG, "--data", TRAIN, "--out", out.toString(), "--policy", "vgg",
                "--target-macs", "0.5", "--channel-multiple", "2", "--criterion", "l1", "--reconstruct", "scale",
                "--images", "16", "--points", "4", "--eval-images", "64", "--policy-out", policy.toString());
        assertEquals(0, r.code(), r.err());
        Network before = OnnxImporter.load(Path.of(VGG));
        Network after = OnnxImporter.load(out);
        // MACs of the written model, counted from the file; the original's 7413248 is PyTorch's count (CliTest)
        double kept = (double) ModelSize.of(after).totalMacs() / 7413248L;
        assertThat(kept).isLessThanOrEqualTo(0.5).isGreaterThanOrEqualTo(0.5 * 0.98);
        assertThat(r.out()).contains("[sensitivity 3/3]").contains("macs kept ")
                .contains(String.format(java.util.Locale.ROOT, "kept: macs=%.4f", kept)).contains("policy " + policy);
        // the vgg policy never touches the last three convs; pruned widths are even (--channel-multiple 2)
        List<Integer> w0 = convWidths(before);
        List<Integer> w1 = convWidths(after);
        assertEquals(w0.subList(3, 6), w1.subList(3, 6));
        for (int i = 0; i < 3; i++) {
            assertThat(w1.get(i) == w0.get(i) || w1.get(i) % 2 == 0).as("conv %d keeps %d", i, w1.get(i)).isTrue();
        }
        assertThat(w1.subList(0, 3)).isNotEqualTo(w0.subList(0, 3));
        // the policy file replays the same widths
        Path replay = dir.resolve("replay.onnx");
        CliTest.Run again = run("prune", "--model", VGG, "--data", TRAIN, "--out", replay.toString(), "--policy",
                "csv:" + policy, "--criterion", "l1", "--reconstruct", "none", "--images", "8", "--points", "2");
        assertEquals(0, again.code(), again.err());
        assertEquals(w1, convWidths(OnnxImporter.load(replay)));
        assertThat(Policies.csv(policy).plan(before)).hasSizeLessThanOrEqualTo(3);
    }

    @Test
    void dataLabelsMakeTheBudgetMeasureAccuracyAndTheCheckIsPrinted(@TempDir Path dir) {
        String labels = DATA.resolve("train-labels-idx1-ubyte.gz").toString();
        Path out = dir.resolve("l.onnx");
        CliTest.Run alone = run("prune", "--model", VGG, "--data", TRAIN, "--out", out.toString(), "--data-labels",
                labels);
        assertEquals(2, alone.code());
        assertThat(alone.err()).contains("--data-labels only applies to a budget");
        CliTest.Run r = run("prune", "--model", VGG, "--data", TRAIN, "--out", out.toString(), "--policy", "vgg",
                "--target-macs", "0.6", "--data-labels", labels, "--criterion", "l1", "--reconstruct", "none",
                "--images", "8", "--points", "2", "--eval-images", "32");
        assertEquals(0, r.code(), r.err());
        assertThat(r.out()).contains("held-out images of --data (top-1 accuracy)")
                .contains("budget check on held-out images: solver's plan top-1 ")
                .containsPattern("uniform ratio [0-9.]+ top-1 [0-9.]+ \\(kept [0-9.]+\\): using the (uniform plan|solver's plan)");
        // no fine-tuning was started by the labels
        assertThat(r.out()).doesNotContain("fine-tun");
    }

    @Test
    void targetParamsOnTheResNetFixtureKeepsEveryBlockOutput(@TempDir Path dir) {
        Path out = dir.resolve("r.onnx");
        String model = FIX.resolve("resnet_bottleneck.onnx").toString();
        CliTest.Run r = run("prune", "--model", model, "--data", TRAIN, "--out", out.toString(), "--policy", "resnet",
                "--target-params", "0.6", "--criterion", "l1", "--reconstruct", "none", "--images", "8",
                "--points", "2", "--eval-images", "16");
        assertEquals(0, r.code(), r.err());
        Network before = OnnxImporter.load(Path.of(model));
        Network after = OnnxImporter.load(out);
        double kept = (double) ModelSize.of(after).totalParams() / ModelSize.of(before).totalParams();
        assertThat(kept).isLessThanOrEqualTo(0.6).isGreaterThanOrEqualTo(0.6 * 0.98);
        for (var add : before.nodesOf(Op.Add.class)) {
            assertEquals(before.shapes(1).get(add.name())[1], after.shapes(1).get(add.name())[1], add.name());
        }
    }

    @Test
    void bnRecalibrationChangesOnlyTheRunningStatistics(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain.onnx");
        Path recal = dir.resolve("recal.onnx");
        String[] common = {"prune", "--model", VGG_BN, "--data", TRAIN, "--policy", "vgg", "--ratio", "0.5",
                "--criterion", "l1", "--reconstruct", "full", "--images", "20", "--points", "4", "--seed", "3"};
        CliTest.Run a = run(concat(common, "--out", plain.toString()));
        CliTest.Run b = run(concat(common, "--out", recal.toString(), "--bn-recalibrate"));
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        assertThat(b.out()).contains("bn-recalibrate: re-estimated the running mean and variance of")
                .contains("on 20 calibration images").contains("no weight changed");
        Network p = OnnxImporter.load(plain);
        Network q = OnnxImporter.load(recal);
        assertEquals(p.nodes().size(), q.nodes().size());
        int bns = 0;
        int statsChanged = 0;
        for (Node n : p.nodes()) {
            Node m = q.node(n.name());
            if (n.op() instanceof Op.Conv c) {
                Op.Conv d = (Op.Conv) m.op();
                assertArrayEquals(c.weight().data(), d.weight().data(), n.name());
                assertArrayEquals(c.bias() == null ? null : c.bias().data(), d.bias() == null ? null : d.bias().data());
            } else if (n.op() instanceof Op.Linear l) {
                Op.Linear k = (Op.Linear) m.op();
                assertArrayEquals(l.weight().data(), k.weight().data(), n.name());
                assertArrayEquals(l.bias() == null ? null : l.bias().data(), k.bias() == null ? null : k.bias().data());
            } else if (n.op() instanceof Op.BatchNorm bn) {
                Op.BatchNorm bm = (Op.BatchNorm) m.op();
                bns++;
                assertArrayEquals(bn.scale().data(), bm.scale().data(), n.name());
                assertArrayEquals(bn.bias().data(), bm.bias().data(), n.name());
                if (!java.util.Arrays.equals(bn.mean().data(), bm.mean().data())) {
                    statsChanged++;
                }
            } else {
                assertEquals(n.op(), m.op(), n.name());
            }
        }
        assertThat(bns).isPositive();
        assertThat(statsChanged).isPositive();
        // the first BN's new mean is the float64 mean of its input over the 20 images the pruner sampled (seed 3);
        // no BN is upstream of it, so its input is the same in both pruned networks
        Node first = q.nodesOf(Op.BatchNorm.class).get(0);
        double[] mean = channelMeans(p, first.input(), 20, 3);
        float[] got = ((Op.BatchNorm) first.op()).mean().data();
        assertEquals(mean.length, got.length);
        for (int c = 0; c < mean.length; c++) {
            assertEquals(mean[c], got[c], 1e-5 * Math.max(1, Math.abs(mean[c])), "channel " + c);
        }
    }

    @Test
    void bnRecalibrationOfAFoldedModelSaysItWasSkipped(@TempDir Path dir) {
        CliTest.Run r = run("prune", "--model", VGG, "--data", TRAIN, "--out", dir.resolve("f.onnx").toString(),
                "--policy", "vgg", "--ratio", "0.5", "--criterion", "l1", "--reconstruct", "none", "--images", "8",
                "--points", "2", "--bn-recalibrate");
        assertEquals(0, r.code(), r.err());
        assertThat(r.out()).contains("bn-recalibrate: skipped, the model has no BatchNormalization node");
        assertThat(dir.resolve("f.onnx")).exists();
    }

    /** Per-channel mean, in float64, of tensor {@code tensor} over the seeded sample of the training images. */
    private static double[] channelMeans(Network net, String tensor, int images, long seed) throws Exception {
        try (ImageSource all = ImageSources.open(Path.of(TRAIN));
             ImageSource sample = ImageSources.sample(all, images, seed);
             InferenceEngine e = new InferenceEngine(net)) {
            long positions = 0;
            double[] sum = null;
            for (var batch : sample.batches(7)) {
                try (INDArray x = batch.toINDArray()) {
                    Map<String, INDArray> taps = e.forward(x, List.of(tensor));
                    try (INDArray t = taps.get(tensor); INDArray d = t.castTo(DataType.DOUBLE).dup('c')) {
                        double[] v = d.data().asDouble();
                        int c = (int) t.size(1);
                        int per = (int) (t.length() / t.size(0) / c);
                        if (sum == null) {
                            sum = new double[c];
                        }
                        for (int i = 0; i < t.size(0); i++) {
                            for (int ch = 0; ch < c; ch++) {
                                for (int k = 0; k < per; k++) {
                                    sum[ch] += v[(i * c + ch) * per + k];
                                }
                            }
                        }
                        positions += t.size(0) * per;
                    }
                }
            }
            for (int ch = 0; ch < sum.length; ch++) {
                sum[ch] /= positions;
            }
            return sum;
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
