package dev.thinet4j.families;

import dev.thinet4j.families.Families.Arr;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.OnnxExporter;
import dev.thinet4j.onnx.OnnxImporter;
import dev.thinet4j.slimming.DepthwiseStrategy;
import dev.thinet4j.slimming.GroupPlan;
import dev.thinet4j.slimming.LayerChange;
import dev.thinet4j.slimming.NetworkSlimming;
import dev.thinet4j.slimming.SlimmingConfig;
import dev.thinet4j.slimming.SlimmingPlan;
import dev.thinet4j.slimming.SlimmingResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The YOLOv3-style detector (MobileNetV2 backbone, upsample + concat neck, three heads) through the
 * network-slimming flow of seed 003: global γ threshold, per-layer floor, shortcut-merged masks, β
 * absorption. ThiNet pruning of the same detector is in {@link FamiliesTest}.
 */
class DetectorTest {
    @TempDir
    Path tmp;

    static final String KEEP_BN = "yolo_mbv2_keepbn";

    @Test
    void importsWithThreeHeadsAndBatchNorms() {
        Network net = OnnxImporter.load(Families.model(KEEP_BN));
        assertEquals(List.of("out_s32", "out_s16", "out_s8"), net.outputs());
        Arr x = Families.input(KEEP_BN);
        Map<String, Arr> ours = Families.engine(net, x);
        Map<String, Arr> ort = Families.ort(Families.model(KEEP_BN), net.input().name(), x);
        List<Arr> torch = Families.torchOutputs(KEEP_BN);
        int k = 0;
        for (String o : net.outputs()) {
            Families.assertClose(ort.get(o), ours.get(o), 1e-4, o + " vs ONNX Runtime");
            Families.assertClose(torch.get(k++), ours.get(o), 1e-4, o + " vs PyTorch");
        }
    }

    @Test
    void slimmingKeepsEveryHeadShapeAndEqualsTheMaskedNetworkWhereExact() {
        Network net = OnnxImporter.load(Families.model(KEEP_BN));
        SlimmingConfig config = SlimmingConfig.builder().globalPercent(0.25).layerKeep(0.5)
                .depthwise(DepthwiseStrategy.KEEP_LARGER).absorb(true).build();
        SlimmingPlan plan = NetworkSlimming.plan(net, config);
        SlimmingResult r = NetworkSlimming.apply(net, plan, true);
        Network compact = r.network();
        assertThat(plan.removedChannels()).isPositive();
        assertThat(r.after().totalParams()).isLessThan(r.before().totalParams());
        assertThat(ModelSize.of(compact).totalMacs()).isLessThan(ModelSize.of(net).totalMacs());
        // every layer keeps at least layer_keep of its channels
        for (LayerChange l : r.layers()) {
            assertThat(l.channelsAfter()).isGreaterThanOrEqualTo((int) Math.ceil(0.5 * l.channelsBefore() - 1e-9));
        }

        Arr x = Families.input(KEEP_BN);
        Map<String, Arr> masked = Families.engine(NetworkSlimming.mask(net, plan), x);
        Map<String, Arr> ours = Families.engine(compact, x);
        Path out = tmp.resolve("yolo_slim.onnx");
        OnnxExporter.save(compact, out);
        Map<String, Arr> ort = Families.ort(out, net.input().name(), x);
        Map<String, int[]> before = net.shapes(2);
        for (String o : net.outputs()) {
            assertArrayEquals(before.get(o), compact.shapes(2).get(o), "head " + o + " shape");
            Families.assertClose(ort.get(o), ours.get(o), 1e-4, "compact " + o + " vs ONNX Runtime");
        }
        if (r.exact()) {
            for (String o : net.outputs()) {
                Families.assertClose(masked.get(o), ours.get(o), 1e-4, "compact " + o + " vs masked");
            }
        }
    }

    @Test
    void theGroupsWhoseAbsorptionIsExactGiveTheMaskedNetworkExactly() {
        // a removed channel still emits act(β); absorbing it into the next layer is exact unless that layer
        // zero-pads the channel (the border then differs, seed 000): keep only the groups the library marks exact
        Network net = OnnxImporter.load(Families.model(KEEP_BN));
        SlimmingConfig config = SlimmingConfig.builder().globalPercent(0.25).layerKeep(0.3)
                .depthwise(DepthwiseStrategy.INTERSECT).absorb(true).build();
        SlimmingPlan plan = NetworkSlimming.plan(net, config);
        SlimmingResult all = NetworkSlimming.apply(net, plan, true);
        List<GroupPlan> exact = new ArrayList<>();
        for (GroupPlan gp : plan.groups()) {
            boolean ok = all.layers().stream().filter(l -> l.producers().equals(gp.group().producers()))
                    .allMatch(LayerChange::exact);
            if (ok && !gp.removed().isEmpty()) {
                exact.add(gp);
            }
        }
        assertThat(exact).as("groups slimmed exactly").isNotEmpty();
        SlimmingPlan sub = new SlimmingPlan(plan.threshold(), plan.scoredCount(), exact, plan.skipped());
        SlimmingResult r = NetworkSlimming.apply(net, sub, true);
        assertTrue(r.exact());
        assertThat(r.after().totalParams()).isLessThan(r.before().totalParams());
        Arr x = Families.input(KEEP_BN);
        Map<String, Arr> masked = Families.engine(NetworkSlimming.mask(net, sub), x);
        Map<String, Arr> ours = Families.engine(r.network(), x);
        for (String o : net.outputs()) {
            assertArrayEquals(net.shapes(2).get(o), r.network().shapes(2).get(o), "head " + o + " shape");
            Families.assertClose(masked.get(o), ours.get(o), 1e-5, "exactly slimmed " + o + " vs masked");
        }
    }
}
