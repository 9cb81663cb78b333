package dev.thinet4j.surgery;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.GroupedNets;
import dev.thinet4j.testing.TestNets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Channel groups through grouped (not depthwise) convs: the dependency graph's members and blocks, and thinning
 * checked against the original network with the consumer weights of the removed channels zeroed (done here
 * independently of {@link Thinning}: for a grouped consumer, row o only holds the columns of its own conv group).
 */
class GroupedConvSurgeryTest {

    @Test
    void resnextBottleneckGroupsHaveBlocksAndGroupedMembers() {
        Network net = GroupedNets.resnextBlock(1, 4, 3, 2);
        DependencyGraph g = new DependencyGraph(net);
        ChannelGroup in = g.groupOf("conv1");
        assertEquals(List.of("conv1"), in.producers());
        assertEquals(12, in.channels());
        assertEquals(4, in.blocks());
        assertEquals(3, in.blockSize());
        assertEquals(List.of(new Member.ProducerConv("conv1", 0), new Member.BatchNormChannels("bn1", 0),
                new Member.GroupedConsumerConv("conv2", 0, 4)), in.members());
        assertEquals(List.of(new Member.GroupedConsumerConv("conv2", 0, 4)), in.consumers());

        ChannelGroup out = g.groupOf("conv2");
        assertEquals(List.of("conv2"), out.producers());
        assertEquals(8, out.channels());
        assertEquals(4, out.blocks());
        assertEquals(List.of(new Member.GroupedProducerConv("conv2", 0, 4), new Member.BatchNormChannels("bn2", 0),
                new Member.ConsumerConv("conv3", 0)), out.members());

        assertThat(g.prunableConvs()).containsExactly("stem", "conv1", "conv2", "conv3");
        assertThat(Policies.resnet(0.3).plan(net)).extracting(LayerPlan::layer).containsExactly("conv1", "conv2");
        // an ordinary group keeps blocks 1
        assertEquals(1, g.groupOf("stem").blocks());
    }

    @Test
    void differentBlockStructuresMeetInTheirLeastCommonRefinement() {
        ChannelGroup g = new DependencyGraph(GroupedNets.twoGrouped(2, 2, 3)).groupOf("ga");
        assertEquals(6, g.blocks(), "lcm(2, 3) blocks of 2 channels refine both halves and thirds");
        assertThat(g.members()).contains(new Member.GroupedProducerConv("ga", 0, 2),
                new Member.GroupedConsumerConv("gb", 0, 3));
        ChannelGroup h = new DependencyGraph(GroupedNets.twoGrouped(2, 2, 4)).groupOf("ga");
        assertEquals(4, h.blocks(), "quarters refine halves");
        // 12 channels written in 4 blocks and read in 6: lcm 12, one channel per block
        PruningException e = assertThrows(PruningException.class,
                () -> new DependencyGraph(GroupedNets.twoGrouped(2, 4, 6)).groupOf("ga"));
        assertThat(e.getMessage()).contains("'ga' (groups=4").contains("'gb' (groups=6").contains("12 blocks");
    }

    @Test
    void refusesAGroupedConvWithOneInputChannelPerGroupOrReadingPartOfItsInput() {
        Random r = new Random(3);
        Network oneEach = Network.builder("one-each").input("input", 3, 6, 6)
                .add("c1", TestNets.conv(r, 3, 4, 1, 1, 0), "input")
                .add("g", GroupedNets.grouped(r, 4, 8, 3, 1, 4), "c1")
                .add("c2", TestNets.conv(r, 8, 2, 1, 1, 0), "g")
                .output("c2").build();
        PruningException e = assertThrows(PruningException.class, () -> new DependencyGraph(oneEach).groupOf("c1"));
        assertThat(e.getMessage()).contains("'g' (groups=4").contains("only one channel");
        // as a producer, the same conv has 4 blocks of 2 filters: prunable
        assertEquals(4, new DependencyGraph(oneEach).groupOf("g").blocks());

        Network part = Network.builder("part").input("input", 3, 6, 6)
                .add("a", TestNets.conv(r, 3, 4, 1, 1, 0), "input")
                .add("b", TestNets.conv(r, 3, 4, 1, 1, 0), "input")
                .add("cat", new Op.Concat(1), "a", "b")
                .add("g", GroupedNets.grouped(r, 8, 8, 3, 1, 2), "cat")
                .add("c2", TestNets.conv(r, 8, 2, 1, 1, 0), "g")
                .output("c2").build();
        PruningException p = assertThrows(PruningException.class, () -> new DependencyGraph(part).groupOf("b"));
        assertThat(p.getMessage()).contains("grouped conv 'g'").contains("channels [4, 8) of its 8 inputs");
    }

    /** The original with every consumer weight of the removed group channels zeroed (only in the rows that see it). */
    static Network masked(Network net, ChannelGroup group, int[] removed) {
        Map<String, Node> repl = new HashMap<>();
        for (Member m : group.consumers()) {
            Node n = net.node(m.node());
            Op.Conv c = (Op.Conv) n.op();
            float[] w = c.weight().data();
            int[] s = c.weight().shape();
            int kk = s[2] * s[3];
            int rowsPerGroup = s[0] / c.groups();
            for (int o = 0; o < s[0]; o++) {
                int first = o / rowsPerGroup * s[1]; // the first input channel row o sees
                for (int rm : removed) {
                    int ch = m.offset() + rm;
                    if (ch >= first && ch < first + s[1]) {
                        int col = ch - first;
                        Arrays.fill(w, (o * s[1] + col) * kk, (o * s[1] + col + 1) * kk, 0f);
                    }
                }
            }
            repl.put(n.name(), n.withOp(c.withWeights(Tensor.of(w, s), c.bias())));
        }
        return net.replace(repl);
    }

    /** A random keep set with the same number (1 … size) kept in every block. */
    static int[] balancedKeep(ChannelGroup g, Random r) {
        int size = g.blockSize();
        int perBlock = 1 + r.nextInt(size);
        List<Integer> keep = new ArrayList<>();
        for (int b = 0; b < g.blocks(); b++) {
            List<Integer> block = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                block.add(b * size + i);
            }
            Collections.shuffle(block, r);
            keep.addAll(block.subList(0, perBlock));
        }
        return keep.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    private static void assertThinEqualsMasked(Network net, String conv, int[] keep) {
        ChannelGroup group = new DependencyGraph(net).groupOf(conv);
        int[] removed = Thinning.complement(group.channels(), keep);
        Network thin = Thinning.keep(net, group, keep);
        Network mask = masked(net, group, removed);
        float[] x = Forward.images(net, 3, 11);
        assertThat(Forward.relError(Forward.run(thin, x, 3), Forward.run(mask, x, 3)))
                .as("thinned vs masked for %s keeping %s", conv, Arrays.toString(keep)).isLessThanOrEqualTo(1e-5);
        Op.Conv producer = (Op.Conv) thin.node(conv).op();
        assertEquals(keep.length, producer.outChannels());
        for (Member m : group.members()) {
            if (m instanceof Member.GroupedConsumerConv gc) {
                Op.Conv before = (Op.Conv) net.node(gc.node()).op();
                Op.Conv after = (Op.Conv) thin.node(gc.node()).op();
                assertArrayEquals(new int[]{before.outChannels(), keep.length / gc.groups(), 3, 3},
                        after.weight().shape(), "grouped consumer keeps C_in/g per group");
                assertEquals(before.groups(), after.groups());
            }
            if (m instanceof Member.GroupedProducerConv gp) {
                Op.Conv after = (Op.Conv) thin.node(gp.node()).op();
                assertEquals(gp.groups(), after.groups());
                assertEquals(keep.length, after.bias().size());
            }
        }
    }

    @Property(tries = 25)
    void thinningThroughAGroupedConvEqualsZeroingTheRemovedChannels(
            @ForAll @IntRange(min = 0, max = 10_000) int seed, @ForAll @IntRange(min = 2, max = 4) int groups,
            @ForAll @IntRange(min = 2, max = 4) int perIn, @ForAll @IntRange(min = 2, max = 3) int perOut) {
        Network net = GroupedNets.resnextBlock(seed, groups, perIn, perOut);
        Random r = new Random(seed);
        DependencyGraph g = new DependencyGraph(net);
        // consumer side: conv1's channels read by the grouped conv
        assertThinEqualsMasked(net, "conv1", balancedKeep(g.groupOf("conv1"), r));
        // producer side: the grouped conv's own filters, read by conv3
        assertThinEqualsMasked(net, "conv2", balancedKeep(g.groupOf("conv2"), r));
    }

    @Property(tries = 10)
    void thinningBetweenTwoGroupedConvsEqualsZeroing(@ForAll @IntRange(min = 0, max = 10_000) int seed,
                                                     @ForAll @IntRange(min = 0, max = 2) int which) {
        int[][] gs = {{2, 3}, {2, 4}, {3, 2}};
        Network net = GroupedNets.twoGrouped(seed, gs[which][0], gs[which][1]);
        ChannelGroup g = new DependencyGraph(net).groupOf("ga");
        assertThinEqualsMasked(net, "ga", balancedKeep(g, new Random(seed)));
        assertThinEqualsMasked(net, "conv1", balancedKeep(new DependencyGraph(net).groupOf("conv1"),
                new Random(seed + 1)));
    }

    @Test
    void refusesAnUnbalancedKeepSet() {
        Network net = GroupedNets.resnextBlock(4, 4, 3, 2);
        ChannelGroup g = new DependencyGraph(net).groupOf("conv1");
        // blocks of 3: block 0 keeps 2, the others 1
        int[] keep = {0, 1, 3, 6, 9};
        PruningException e = assertThrows(PruningException.class, () -> Thinning.keep(net, g, keep));
        assertThat(e.getMessage()).contains("unbalanced").contains("4 blocks of 3").contains("[2, 1, 1, 1]");
        // the producer side refuses too
        ChannelGroup p = new DependencyGraph(net).groupOf("conv2");
        PruningException e2 = assertThrows(PruningException.class, () -> Thinning.keep(net, p, new int[]{0, 1, 2}));
        assertThat(e2.getMessage()).contains("unbalanced").contains("[2, 1, 0, 0]");
    }
}
