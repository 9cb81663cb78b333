package dev.thinet4j.slimming;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.surgery.Member;
import dev.thinet4j.testing.Forward;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Slimming and block removal on the PyTorch-exported keep-BN fixtures; ONNX Runtime runs the written models. */
class FixtureSlimmingTest {
    static final Path FIX = Path.of("src/test/resources/fixtures");
    static final long[] SHAPE = {2, 1, 28, 28};

    static float[] ortVsEngine(Network net, Path file) throws Exception {
        OnnxExporter.save(net, file);
        float[] x = Forward.images(net, 2, 17);
        float[] ort = OrtRunner.run(file, net.input().name(), x, SHAPE);
        float[] ours = Forward.run(net, x, 2);
        assertThat(Forward.relError(ours, ort)).as("engine vs ONNX Runtime on %s", file).isLessThanOrEqualTo(1e-4);
        return ours;
    }

    @Test
    void slimmedVggRunsInOnnxRuntime(@TempDir Path dir) throws Exception {
        Network net = OnnxImporter.load(FIX.resolve("vgg_bn_fc_keepbn.onnx"));
        SlimmingResult r = NetworkSlimming.slim(net, SlimmingConfig.builder().globalPercent(0.5).layerKeep(0.1).build());
        assertEquals(6, r.layers().size());
        assertEquals(6, r.network().nodesOf(Op.BatchNorm.class).size());
        assertEquals(112, r.layers().stream().mapToInt(l -> l.channelsBefore() - l.channelsAfter()).sum(),
                "half of the 224 BN channels");
        for (LayerChange l : r.layers()) {
            assertEquals(l.channelsAfter(), ((Op.Conv) r.network().node(l.producers().get(0)).op()).outChannels());
            assertThat(l.channelsAfter()).isGreaterThanOrEqualTo((int) Math.ceil(0.1 * l.channelsBefore()));
        }
        // the last conv's channels are read by the classifier through view(n, -1): exact
        Absorption fc = r.layers().get(5).absorptions().get(0);
        assertEquals(Absorption.Kind.LINEAR_BIAS, fc.kind());
        assertThat(fc.exact()).isTrue();
        assertThat(r.after().totalMacs()).isLessThan(r.before().totalMacs() / 2);
        ortVsEngine(r.network(), dir.resolve("vgg_slim.onnx"));
        Network back = OnnxImporter.load(dir.resolve("vgg_slim.onnx"));
        assertEquals(r.after().totalParams(), dev.thinet4j.model.ModelSize.of(back).totalParams());
    }

    @Test
    void resnetWithoutItsWeakestBlocksRunsInOnnxRuntimeAndEqualsSilencedBranches(@TempDir Path dir) throws Exception {
        Network net = OnnxImporter.load(FIX.resolve("resnet_bottleneck_keepbn.onnx"));
        // independent ranking: mean |γ| of bn3 of each block with an identity shortcut (the second of each stage)
        Function<String, Double> meanGamma = bn -> {
            Op.BatchNorm b = (Op.BatchNorm) net.node(bn).op();
            double s = 0;
            for (int c = 0; c < b.channels(); c++) {
                s += Math.abs(b.scale().get(c));
            }
            return s / b.channels();
        };
        Map<String, Double> expected = List.of(1, 2, 3).stream().collect(Collectors.toMap(
                i -> "/layer" + i + "/layer" + i + ".1/Add",
                i -> meanGamma.apply("/layer" + i + "/layer" + i + ".1/bn3/BatchNormalization")));
        List<String> order = expected.keySet().stream().sorted(Comparator.comparing(expected::get)).toList();
        List<BlockScore> cands = BlockRemoval.candidates(net);
        assertEquals(order, cands.stream().map(BlockScore::add).toList());
        for (BlockScore b : cands) {
            assertEquals(expected.get(b.add()), b.meanAbsGamma(), 1e-9);
        }

        BlockRemovalResult r = BlockRemoval.removeWeakest(net, 2);
        assertEquals(order.subList(0, 2), r.removed().stream().map(BlockScore::add).toList());
        assertEquals(4, r.network().nodesOf(Op.Add.class).size());
        assertEquals(22 - 6, r.network().nodesOf(Op.BatchNorm.class).size());
        float[] ours = ortVsEngine(r.network(), dir.resolve("resnet_blocks.onnx"));
        Network silenced = net;
        for (BlockScore b : r.removed()) {
            silenced = SlimNets.withBn(silenced, b.batchNorm(), c -> 0, c -> 0);
        }
        assertThat(Forward.relError(ours, Forward.run(silenced, Forward.images(net, 2, 17), 2))).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void slimmedResnetRunsInOnnxRuntimeAndItsPointwiseGroupsEqualTheMaskedNetwork(@TempDir Path dir) throws Exception {
        Network net = OnnxImporter.load(FIX.resolve("resnet_bottleneck_keepbn.onnx"));
        SlimmingConfig config = SlimmingConfig.builder().globalPercent(0.3).layerKeep(0.1).removeBlocks(1).build();
        SlimmingResult r = NetworkSlimming.slim(net, config);
        assertEquals(1, r.removedBlocks().size());
        for (Op.BatchNorm bn : r.network().nodesOf(Op.BatchNorm.class).stream().map(n -> (Op.BatchNorm) n.op()).toList()) {
            assertThat(bn.channels()).isPositive();
        }
        ortVsEngine(r.network(), dir.resolve("resnet_slim.onnx"));

        // only the groups whose every reader is a 1×1 pad-0 conv or the classifier: exact on the trained weights
        SlimmingPlan plan = NetworkSlimming.plan(net, config);
        List<GroupPlan> padFree = plan.groups().stream().filter(g -> g.group().consumers().stream().allMatch(m ->
                m instanceof Member.ConsumerLinear || ((Op.Conv) net.node(m.node()).op()).pads().isZero())).toList();
        assertThat(padFree.size()).isGreaterThan(4);
        assertThat(padFree.stream().mapToInt(g -> g.removed().size()).sum()).isPositive();
        SlimmingPlan exactPlan = new SlimmingPlan(plan.threshold(), plan.scoredCount(), padFree, plan.skipped());
        SlimmingResult exact = NetworkSlimming.apply(net, exactPlan, true);
        assertThat(exact.exact()).isTrue();
        float[] x = Forward.images(net, 2, 23);
        assertThat(Forward.relError(Forward.run(exact.network(), x, 2),
                Forward.run(NetworkSlimmingTest.maskedReference(net, exactPlan), x, 2))).isLessThanOrEqualTo(1e-5);
    }
}
