package dev.thinet4j.budget;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.slimming.NetworkSlimming;
import dev.thinet4j.slimming.SlimmingConfig;
import dev.thinet4j.slimming.SlimmingPlan;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Thinning;
import dev.thinet4j.testing.GroupedNets;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The exact cost model and slimming on groups that pass through grouped convs. */
class GroupedCostModelTest {

    @Test
    void costModelMatchesTheThinnedNetworkThroughGroupedConvs() {
        Network net = GroupedNets.resnextBlock(3, 4, 4, 3);
        List<String> layers = List.of("stem", "conv1", "conv2");
        ChannelCostModel model = ChannelCostModel.of(net, layers);
        assertEquals(1, model.blocks(0));
        assertEquals(4, model.blocks(1));
        assertEquals(4, model.blocks(2));
        int[][] keeps = {{16, 16, 12}, {10, 8, 8}, {5, 4, 4}, {16, 12, 8}};
        for (int[] keep : keeps) {
            Network cur = net;
            for (int i = 0; i < layers.size(); i++) {
                ChannelGroup g = new DependencyGraph(cur).groupOf(layers.get(i));
                int per = keep[i] / g.blocks();
                int size = g.blockSize();
                cur = Thinning.keep(cur, g, IntStream.range(0, keep[i]).map(k -> k / per * size + k % per).toArray());
            }
            assertEquals(ModelSize.of(cur).totalMacs(), model.macs(keep), java.util.Arrays.toString(keep) + " MACs");
            assertEquals(ModelSize.of(cur).totalParams(), model.params(keep), java.util.Arrays.toString(keep) + " params");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.macs(new int[]{16, 15, 12}));
        assertThat(e.getMessage()).contains("4 blocks");
    }

    @Test
    void slimmingSkipsGroupsThatPassThroughGroupedConvs() {
        Network net = GroupedNets.resnextBlock(3, 4, 4, 3);
        SlimmingPlan plan = NetworkSlimming.plan(net, SlimmingConfig.builder().globalPercent(0.3).build());
        assertThat(plan.skipped()).anyMatch(s -> s.contains("conv1") && s.contains("grouped convs"));
        assertThat(plan.groups()).noneMatch(gp -> gp.group().blocks() > 1);
        // what is slimmed still runs
        NetworkSlimming.apply(net, plan, true).network().shapes(1);
    }
}
