package dev.thinet4j.reliability;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.selection.Selection;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.thinet4j.reliability.Reliability.assertCliFails;
import static dev.thinet4j.reliability.Reliability.assertRefused;
import static dev.thinet4j.reliability.Reliability.cli;
import static dev.thinet4j.reliability.Reliability.images;
import static dev.thinet4j.reliability.Reliability.tinyNet;
import static dev.thinet4j.reliability.Reliability.writeNpy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bad pruning ratios and policy files: out-of-range ratios, a ratio that would remove every
 * channel, unknown or unprunable layer names, malformed CSV.
 */
class PolicyBadInputTest {
    @TempDir
    static Path tmp;
    /** conv1 has only 2 output channels. */
    static Network net;
    static Path model;
    static Path data;

    @BeforeAll
    static void files() throws IOException {
        net = tinyNet(11, 2);
        model = tmp.resolve("tiny2.onnx");
        OnnxExporter.save(net, model);
        data = writeNpy(tmp.resolve("calib.npy"), images(12, 8, 1, 8, 8), 8, 1, 8, 8);
    }

    private static Path csv(String name, String content) throws IOException {
        return Files.writeString(tmp.resolve(name), content);
    }

    private static Reliability.Run prune(String... options) {
        List<String> args = new java.util.ArrayList<>(List.of("prune", "--model", model.toString(), "--data",
                data.toString(), "--images", "8", "--points", "3"));
        args.addAll(List.of(options));
        return cli(args.toArray(String[]::new));
    }

    // ------------------------------------------------------------------ ratios

    @Test
    void ratioOutsideTheUnitInterval() {
        for (double r : new double[]{1.0, 1.5, -0.1, Double.NaN}) {
            assertRefused(IllegalArgumentException.class, () -> Policies.uniform(r).plan(net),
                    "pruning ratio for 'conv1'", "must be in [0, 1)", String.valueOf(r));
            assertRefused(IllegalArgumentException.class, () -> Selection.numToRemove(8, r),
                    "pruning ratio must be in [0, 1)");
        }
        for (String r : new String[]{"1", "1.0", "-0.5", "NaN", "half"}) {
            assertCliFails(2, prune("--out", tmp.resolve("r.onnx").toString(), "--ratio", r),
                    "--ratio must be a number in [0, 1)", "'" + r + "'");
        }
        assertThat(tmp.resolve("r.onnx")).doesNotExist();
    }

    @Test
    void ratioThatWouldRemoveEveryChannelKeepsOne() throws IOException {
        assertEquals(1, Selection.numToRemove(2, 0.99));
        assertEquals(99, Selection.numToRemove(100, 0.999));
        Path policy = csv("keep_one.csv", "layer,ratio\nconv1,0.99\n");
        try (ImageSource source = ImageSources.open(data)) {
            PruningResult r = new ThiNetPruner(PrunerConfig.builder().images(8).pointsPerImage(3).build())
                    .prune(net, Policies.csv(policy), source);
            assertEquals(1, ((Op.Conv) r.network().node("conv1").op()).outChannels());
            assertEquals(2, r.report().layers().get(0).channelsBefore());
            assertEquals(1, r.report().layers().get(0).channelsAfter());
        }
        Path out = tmp.resolve("keep_one.onnx");
        Reliability.Run run = prune("--out", out.toString(), "--policy", "csv:" + policy);
        assertEquals(0, run.code(), run.err());
        assertEquals(1, ((Op.Conv) OnnxImporter.load(out).node("conv1").op()).outChannels());
    }

    // ------------------------------------------------------------------ layer names

    @Test
    void csvLayerThatDoesNotExist() throws IOException {
        Path policy = csv("ghost.csv", "layer,ratio\nconv9,0.5\n");
        assertRefused(IllegalArgumentException.class, () -> Policies.csv(policy).plan(net), "ghost.csv",
                "'conv9' is not a node of 'tiny'", "prunable layers: conv1, conv2, conv3");
        Path out = tmp.resolve("ghost.onnx");
        assertCliFails(1, prune("--out", out.toString(), "--policy", "csv:" + policy), "ghost.csv", "'conv9'",
                "prunable layers");
        assertThat(out).doesNotExist();
    }

    @Test
    void csvLayerThatIsNotAConv() throws IOException {
        Path policy = csv("relu.csv", "layer,ratio\nrelu1,0.5\n");
        assertRefused(IllegalArgumentException.class, () -> Policies.csv(policy).plan(net), "relu.csv",
                "'relu1' is not a prunable conv");
    }

    @Test
    void customPolicyNamingAnUnknownLayer() throws IOException {
        PruningPolicy bad = new PruningPolicy() {
            @Override
            public List<LayerPlan> plan(Network n) {
                return List.of(new LayerPlan("nonexistent", 0.5));
            }

            @Override
            public String name() {
                return "bad";
            }
        };
        try (ImageSource source = ImageSources.open(data)) {
            assertRefused(IllegalArgumentException.class, () -> new ThiNetPruner(PrunerConfig.builder().images(8)
                    .pointsPerImage(3).build()).prune(net, bad, source), "nonexistent");
        }
    }

    @Test
    void builtInPoliciesThatDoNotFitTheNetwork() {
        assertRefused(IllegalArgumentException.class, () -> Policies.vgg(0.5).plan(net), "policy 'vgg'",
                "'tiny' has only 3 convs");
        assertRefused(IllegalArgumentException.class, () -> Policies.resnet(0.5).plan(net), "policy 'resnet'",
                "no residual blocks", "'tiny'");
        assertRefused(IllegalArgumentException.class, () -> Policies.parse("greedy", 0.5), "unknown policy 'greedy'",
                "uniform, vgg, vgg-gap, resnet or csv:FILE");
        assertRefused(IllegalArgumentException.class, () -> Policies.vggGap(0.5).plan(net), "policy 'vgg-gap'",
                "'tiny' has only 3 convs");
        assertCliFails(2, prune("--out", tmp.resolve("p.onnx").toString(), "--policy", "greedy"),
                "unknown policy 'greedy'");
        assertCliFails(1, prune("--out", tmp.resolve("p.onnx").toString(), "--policy", "vgg"), "policy 'vgg'",
                "only 3 convs");
    }

    // ------------------------------------------------------------------ malformed CSV

    @Test
    void malformedCsvFilesNameTheFileAndLine() throws IOException {
        String[][] cases = {
            // file, content, key words
            {"noheader.csv", "conv1,0.5\n", "needs the header 'layer,ratio'"},
            {"empty.csv", "", "needs the header 'layer,ratio'"},
            {"emptyname.csv", "layer,,ratio\nconv1,,0.5\n", "line 1", "malformed header"},
            {"short.csv", "layer,ratio\nconv1\n", "line 2", "found 1: [conv1]"},
            {"long.csv", "layer,ratio\nconv1,0.5,7\n", "line 2", "found 3"},
            {"nan.csv", "layer,ratio\nconv1,abc\n", "line 2", "ratio 'abc' is not a number"},
            {"range.csv", "layer,ratio\nconv2,0.5\nconv1,1.0\n", "line 3", "ratio 1.0 for 'conv1' must be in [0, 1)"},
            {"twice.csv", "layer,ratio\nconv1,0.5\nconv1,0.25\n", "line 3", "'conv1' listed twice"},
            {"quote.csv", "layer,ratio\n\"conv1,0.5\n", "malformed CSV", "EOF"},
            {"binary.csv", "\u0000\u0001\u0002\n\u0003", "line 1", "malformed header"},
        };
        for (String[] c : cases) {
            Path f = csv(c[0], c[1]);
            String[] keys = new String[c.length - 1];
            keys[0] = c[0];
            System.arraycopy(c, 2, keys, 1, c.length - 2);
            assertRefused(IllegalArgumentException.class, () -> Policies.csv(f), keys);
        }
        Path out = tmp.resolve("csv.onnx");
        assertCliFails(2, prune("--out", out.toString(), "--policy", "csv:" + tmp.resolve("quote.csv")), "quote.csv",
                "malformed CSV");
        assertCliFails(2, prune("--out", out.toString(), "--policy", "csv:" + tmp.resolve("missing.csv")),
                "cannot read policy file", "missing.csv");
        assertThat(out).doesNotExist();
    }
}
