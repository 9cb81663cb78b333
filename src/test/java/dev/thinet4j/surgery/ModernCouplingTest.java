package dev.thinet4j.surgery;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static dev.thinet4j.testing.TestNets.bn;
import static dev.thinet4j.testing.TestNets.conv;
import static dev.thinet4j.testing.TestNets.depthwise;
import static dev.thinet4j.testing.TestNets.linear;
import static dev.thinet4j.testing.TestNets.rand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Coupling through the ops of modern CNNs: SiLU ({@code x · sigmoid(x)}), a squeeze-excitation gate,
 * a per-channel constant (layer scale), channel slices, ReduceMean heads.
 */
class ModernCouplingTest {

    /** An EfficientNet-style MBConv: expand, SiLU, depthwise, SiLU, SE gate, scale, project, mean head. */
    static Network mbconv(long seed) {
        Random r = new Random(seed);
        return Network.builder("mbconv").input("input", 3, 8, 8)
                .add("stem", conv(r, 3, 4, 3, 1, 1), "input")
                .add("expand", conv(r, 4, 12, 1, 1, 0), "stem")
                .add("expand_bn", bn(r, 12), "expand")
                .add("sig1", new Op.Sigmoid(), "expand_bn")
                .add("silu1", new Op.Binary(Arith.MUL), "expand_bn", "sig1")
                .add("dw", depthwise(r, 12, 3, 1), "silu1")
                .add("dw_hs", new Op.HardSwish(), "dw")
                .add("se_pool", new Op.GlobalAvgPool(), "dw_hs")
                .add("se_reduce", conv(r, 12, 3, 1, 1, 0), "se_pool")
                .add("se_act", new Op.Relu(), "se_reduce")
                .add("se_expand", conv(r, 3, 12, 1, 1, 0), "se_act")
                .add("se_gate", new Op.HardSigmoid(1f / 6, 0.5f), "se_expand")
                .add("gated", new Op.Binary(Arith.MUL), "dw_hs", "se_gate")
                .add("scaled", Op.ConstArith.right(Arith.MUL, rand(r, 1f, 12, 1, 1)), "gated")
                .add("project", conv(r, 12, 5, 1, 1, 0), "scaled")
                .add("mean", new Op.ReduceMean(new int[]{2, 3}, false), "project")
                .add("fc", linear(r, 5, 3), "mean")
                .output("fc")
                .build();
    }

    @Test
    void squeezeExcitationGateIsCoupledWithTheExpandedChannels() {
        ChannelGroup g = new DependencyGraph(mbconv(1)).groupOf("expand");
        assertEquals(List.of("expand", "se_expand"), g.producers());
        assertEquals(12, g.channels());
        assertThat(g.consumers()).containsExactlyInAnyOrder(new Member.ConsumerConv("se_reduce", 0),
                new Member.ConsumerConv("project", 0));
        assertThat(g.members()).contains(new Member.BatchNormChannels("expand_bn", 0),
                new Member.DepthwiseConv("dw", 0), new Member.ChannelConstant("scaled", 0, 0));
        assertThat(g.tensors()).contains("silu1", "gated", "se_gate", "se_pool");
        // the SE expand conv's own group is the same one
        assertEquals(g, new DependencyGraph(mbconv(1)).groupOf("se_expand"));
    }

    @Test
    void reduceConvOfSqueezeExcitationIsItsOwnGroup() {
        ChannelGroup g = new DependencyGraph(mbconv(1)).groupOf("se_reduce");
        assertEquals(List.of("se_reduce"), g.producers());
        assertEquals(List.of(new Member.ConsumerConv("se_expand", 0)), g.consumers());
    }

    @Test
    void meanHeadFeedsALinearLayerColumnPerChannel() {
        ChannelGroup g = new DependencyGraph(mbconv(1)).groupOf("project");
        assertEquals(List.of(new Member.ConsumerLinear("fc", 0, 1)), g.consumers());
    }

    @Test
    void thinningTheGatedGroupKeepsShapesAndCutsEveryMember() {
        Network net = mbconv(2);
        ChannelGroup g = new DependencyGraph(net).groupOf("expand");
        Network thin = Thinning.keep(net, g, new int[]{0, 2, 3, 7, 11});
        assertEquals(5, ((Op.Conv) thin.node("expand").op()).outChannels());
        assertEquals(5, ((Op.Conv) thin.node("se_expand").op()).outChannels());
        assertEquals(5, ((Op.Conv) thin.node("se_reduce").op()).inChannels());
        assertEquals(5, ((Op.Conv) thin.node("project").op()).inChannels());
        assertEquals(5, ((Op.Conv) thin.node("dw").op()).groups());
        Tensor scale = ((Op.ConstArith) thin.node("scaled").op()).constant();
        Tensor before = ((Op.ConstArith) net.node("scaled").op()).constant();
        assertEquals(List.of(5, 1, 1), List.of(scale.dim(0), scale.dim(1), scale.dim(2)));
        assertEquals(before.get(7), scale.get(3));
        assertEquals(net.shapes(2).get("fc")[1], thin.shapes(2).get("fc")[1]);
    }

    /** ShuffleNet-style split: two halves of a tensor, the second half transformed, then concatenated. */
    static Network split(long seed) {
        Random r = new Random(seed);
        return Network.builder("split").input("input", 3, 6, 6)
                .add("a", conv(r, 3, 4, 3, 1, 1), "input")
                .add("b", conv(r, 3, 6, 3, 1, 1), "input")
                .add("cat", new Op.Concat(1), "a", "b")
                .add("left", new Op.Slice(1, 0, 4), "cat")
                .add("right", new Op.Slice(1, 4, 10), "cat")
                .add("c", conv(r, 6, 6, 1, 1, 0), "right")
                .add("joined", new Op.Concat(1), "left", "c")
                .add("shuffle", new Op.ChannelShuffle(2), "joined")
                .add("head", conv(r, 10, 2, 1, 1, 0), "shuffle")
                .output("head")
                .build();
    }

    /**
     * The original with the removed group channels silenced where they are read: every consumer's weights on
     * those channels set to zero. Removing the channels for real must give exactly this network's outputs.
     */
    static Network silenced(Network net, ChannelGroup g, int[] keep) {
        java.util.Set<Integer> kept = new java.util.HashSet<>();
        for (int k : keep) {
            kept.add(k);
        }
        java.util.Map<String, dev.thinet4j.model.Node> repl = new java.util.HashMap<>();
        for (Member m : g.consumers()) {
            Op.Conv c = (Op.Conv) net.node(m.node()).op();
            float[] w = c.weight().data();
            int cin = c.weight().dim(1);
            int kk = c.weight().dim(2) * c.weight().dim(3);
            int[] pos = g.positions(m);
            for (int ch = 0; ch < pos.length; ch++) {
                if (pos[ch] < 0 || kept.contains(ch)) {
                    continue;
                }
                for (int o = 0; o < c.outChannels(); o++) {
                    java.util.Arrays.fill(w, (o * cin + pos[ch]) * kk, (o * cin + pos[ch] + 1) * kk, 0f);
                }
            }
            repl.put(m.node(), net.node(m.node()).withOp(c.withWeights(Tensor.of(w, c.weight().shape()), c.bias())));
        }
        return net.replace(repl);
    }

    static void assertThinningIsExact(Network net, ChannelGroup g, int[] keep) {
        Network thin = Thinning.keep(net, g, keep);
        float[] x = dev.thinet4j.testing.Forward.images(net, 2, 17);
        double err = dev.thinet4j.testing.Forward.relError(dev.thinet4j.testing.Forward.run(thin, x, 2),
                dev.thinet4j.testing.Forward.run(silenced(net, g, keep), x, 2));
        assertThat(err).as("thinned vs silenced original").isLessThanOrEqualTo(1e-5);
    }

    @Test
    void channelsScatteredByTheShuffleAreFollowedAndCutExactly() {
        Network net = split(3);
        // 'a' sits at [0, 4) of cat, passes the left half to the shuffle, which interleaves it: 0, 2, 4, 6 of 10
        ChannelGroup a = new DependencyGraph(net).groupOf("a");
        assertThat(a.members()).contains(new Member.ChannelReorder("shuffle", 0), new Member.ConsumerConv("head", -1));
        assertThat(a.positions(new Member.ConsumerConv("head", -1))).containsExactly(0, 2, 4, 6);
        assertThinningIsExact(net, a, new int[]{1, 2});
        Network thin = Thinning.keep(net, a, new int[]{1, 2});
        // the shuffle of the uneven halves is written out as a gather over the 8 channels left (a1 a2 c0 … c5):
        // the old order 0 5 1 6 2 7 3 8 4 9 without the removed a0 and a3, renumbered
        assertEquals(new Op.ChannelGather(new int[]{3, 0, 4, 1, 5, 6, 2, 7}), thin.node("shuffle").op());
        // the branch conv 'c' sits at 4 … 9 of the 10 joined channels; the shuffle sends input p to output
        // 2p for p < 5, else 2(p − 5) + 1: 8, 1, 3, 5, 7, 9
        ChannelGroup c = new DependencyGraph(net).groupOf("c");
        assertThat(c.positions(new Member.ConsumerConv("head", -1))).containsExactly(8, 1, 3, 5, 7, 9);
        assertThinningIsExact(net, c, new int[]{0, 3, 5});
        // 'b' is the right half, read only by the branch conv: both slices move
        ChannelGroup b = new DependencyGraph(net).groupOf("b");
        assertThat(b.consumers()).containsExactly(new Member.ConsumerConv("c", 0));
        assertThat(b.members()).contains(new Member.SliceBounds("left", 4), new Member.SliceBounds("right", 4));
        assertThinningIsExact(net, b, new int[]{0, 1, 4});
    }

    @Test
    void sliceWithoutTheGroupMovesItsBounds() {
        Random r = new Random(4);
        Network net = Network.builder("slices").input("input", 3, 6, 6)
                .add("a", conv(r, 3, 4, 3, 1, 1), "input")
                .add("b", conv(r, 3, 6, 3, 1, 1), "input")
                .add("cat", new Op.Concat(1), "a", "b")
                .add("left", new Op.Slice(1, 0, 4), "cat")
                .add("right", new Op.Slice(1, 4, 10), "cat")
                .add("c", conv(r, 6, 6, 1, 1, 0), "right")
                .add("d", conv(r, 4, 2, 1, 1, 0), "left")
                .output("c").output("d")
                .build();
        ChannelGroup a = new DependencyGraph(net).groupOf("a");
        assertThat(a.members()).contains(new Member.SliceBounds("left", 0), new Member.SliceBounds("right", 0),
                new Member.ConsumerConv("d", 0));
        Network thin = Thinning.keep(net, a, new int[]{1, 3});
        assertEquals(new Op.Slice(1, 0, 2), thin.node("left").op());
        assertEquals(new Op.Slice(1, 2, 8), thin.node("right").op());
        ChannelGroup b = new DependencyGraph(thin).groupOf("b");
        assertThat(b.members()).contains(new Member.SliceBounds("left", 2), new Member.SliceBounds("right", 2),
                new Member.ConsumerConv("c", 0));
        Network thin2 = Thinning.keep(thin, b, new int[]{0, 5});
        assertEquals(new Op.Slice(1, 0, 2), thin2.node("left").op());
        assertEquals(new Op.Slice(1, 2, 4), thin2.node("right").op());
        thin2.shapes(1);
    }

    @Test
    void aSliceHoldingPartOfTheGroupPassesOnlyThoseChannels() {
        Random r = new Random(5);
        Network net = Network.builder("partial").input("input", 3, 6, 6)
                .add("a", conv(r, 3, 4, 3, 1, 1), "input")
                .add("half", new Op.Slice(1, 1, 3), "a")
                .add("c", conv(r, 2, 2, 1, 1, 0), "half")
                .add("d", conv(r, 4, 2, 1, 1, 0), "a")
                .add("sum", new Op.Add(), "c", "d")
                .output("sum")
                .build();
        ChannelGroup g = new DependencyGraph(net).groupOf("a");
        assertThat(g.positions(new Member.ConsumerConv("c", -1))).containsExactly(-1, 0, 1, -1);
        for (int[] keep : new int[][]{{0, 2}, {1, 3}, {2}, {1}}) {
            assertThinningIsExact(net, g, keep);
        }
        // keeping neither of the sliced channels would leave the slice empty
        PruningException e = assertThrows(PruningException.class, () -> Thinning.keep(net, g, new int[]{0, 3}));
        assertThat(e.getMessage()).contains("'half'").contains("empty");
        assertEquals(new Op.Slice(1, 0, 1), Thinning.keep(net, g, new int[]{1, 3}).node("half").op());
    }

    @Test
    void spatialGateBroadcastAlongChannelsIsRefused() {
        Random r = new Random(6);
        Network net = Network.builder("spatial").input("input", 3, 6, 6)
                .add("a", conv(r, 3, 4, 3, 1, 1), "input")
                .add("att", conv(r, 3, 1, 3, 1, 1), "input")
                .add("g", new Op.Binary(Arith.MUL), "a", "att")
                .add("c", conv(r, 4, 2, 1, 1, 0), "g")
                .output("c")
                .build();
        // a's channels pass the Mul (the one-channel map broadcasts); att's single channel cannot be cut alone
        ChannelGroup a = new DependencyGraph(net).groupOf("a");
        assertEquals(List.of("a"), a.producers());
        assertThrows(PruningException.class, () -> new DependencyGraph(net).groupOf("att"));
    }

    @Test
    void layerNormOverChannelsFollowsTheGroupAndAlongWidthPassesIt() {
        Random r = new Random(7);
        Network net = Network.builder("ln").input("input", 3, 6, 6)
                .add("a", conv(r, 3, 8, 3, 1, 1), "input")
                .add("ln", new Op.LayerNorm(1, rand(r, 1f, 8), rand(r, 0.1f, 8), 1e-6f), "a")
                .add("b", conv(r, 8, 4, 1, 1, 0), "ln")
                .add("lnw", new Op.LayerNorm(3, rand(r, 1f, 6), null, 1e-6f), "b")
                .add("c", conv(r, 4, 2, 1, 1, 0), "lnw")
                .output("c")
                .build();
        ChannelGroup a = new DependencyGraph(net).groupOf("a");
        assertThat(a.members()).contains(new Member.LayerNormChannels("ln", 0), new Member.ConsumerConv("b", 0));
        Network thin = Thinning.keep(net, a, new int[]{1, 4, 6});
        Op.LayerNorm ln = (Op.LayerNorm) thin.node("ln").op();
        Op.LayerNorm before = (Op.LayerNorm) net.node("ln").op();
        assertEquals(3, ln.features());
        assertEquals(before.scale().get(4), ln.scale().get(1));
        assertEquals(before.bias().get(6), ln.bias().get(2));
        // normalised along W: each channel on its own, so the group passes through
        ChannelGroup b = new DependencyGraph(net).groupOf("b");
        assertEquals(List.of(new Member.ConsumerConv("c", 0)), b.consumers());
    }
}
