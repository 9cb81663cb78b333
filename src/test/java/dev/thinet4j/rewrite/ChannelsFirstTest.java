package dev.thinet4j.rewrite;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.ChannelRule;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import static dev.thinet4j.rewrite.CfNets.TO_FIRST;
import static dev.thinet4j.rewrite.CfNets.TO_LAST;
import static dev.thinet4j.rewrite.CfNets.conv;
import static dev.thinet4j.rewrite.CfNets.linear;
import static dev.thinet4j.rewrite.CfNets.ln;
import static dev.thinet4j.rewrite.CfNets.rand;
import static dev.thinet4j.rewrite.CfNets.t;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChannelsFirstTest {
    private static final double TOL = 1e-5;

    private static void assertSameFunction(Network before, Network after, String what) {
        try (INDArray x = CfNets.input(before, 2, 7)) {
            double d = CfNets.maxRelDiff(before, after, x);
            System.out.println("ChannelsFirstTest " + what + ": max relative difference " + d);
            assertTrue(d <= TOL, what + ": max relative difference " + d + "\n" + CfNets.describe(after));
        }
    }

    @Test
    void convNextStyleNetworkBecomesChannelsFirstWithTheSameOutputs() {
        Network net = CfNets.convnext(42);
        assertEquals(12, net.nodesOf(Op.Transpose.class).size());
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();

        assertSameFunction(net, out, "convnext-mini");
        assertEquals(List.of(), out.nodesOf(Op.Transpose.class), CfNets.describe(out));
        assertEquals(6, r.regions().size());
        assertEquals(List.of(), r.skipped());
        assertEquals(12, r.removedTransposes().size());
        assertEquals(Map.of(), r.renamed());
        assertEquals(net.outputs(), out.outputs());

        // names of every other node kept
        Set<String> expected = net.nodes().stream().filter(n -> !(n.op() instanceof Op.Transpose))
                .map(Node::name).collect(Collectors.toSet());
        assertEquals(expected, out.nodes().stream().map(Node::name).collect(Collectors.toSet()));

        for (String blk : List.of("s1b0", "s1b1", "s2b0")) {
            for (String fc : List.of(".fc1", ".fc2")) {
                Op op = out.node(blk + fc).op();
                Op.Conv c = assertInstanceOf(Op.Conv.class, op, blk + fc);
                assertEquals(ChannelRule.PRODUCER, c.channelRule());
                assertEquals(1, c.kernel().h());
                assertEquals(1, c.kernel().w());
                assertEquals(1, c.groups());
                Op.Linear l = (Op.Linear) net.node(blk + fc).op();
                assertArrayEquals(l.weight().data(), c.weight().data());
                assertArrayEquals(l.bias().data(), c.bias().data());
            }
            assertEquals(1, ((Op.LayerNorm) out.node(blk + ".ln").op()).axis());
        }
        for (String l : List.of("stem_ln.ln", "ds_ln.ln", "head_ln.ln")) {
            assertEquals(1, ((Op.LayerNorm) out.node(l).op()).axis());
        }
        // the layer scale applied channels-last ([C]) is now per channel [C,1,1]
        Op.ConstArith ls = (Op.ConstArith) out.node("s2b0.ls").op();
        assertArrayEquals(new int[]{16, 1, 1}, ls.constant().shape());
        // torch's own layer scale (after the permute back) is untouched
        assertEquals(net.node("s1b0.ls").op(), out.node("s1b0.ls").op());
        assertEquals(List.of("s1b0.fc2"), out.node("s1b0.ls").inputs());
        // the head Linear after Flatten stays a Linear
        assertInstanceOf(Op.Linear.class, out.node("fc").op());
        // block input reads: the depthwise conv of s1b0 reads the stem LayerNorm directly
        assertEquals(List.of("stem_ln.ln"), out.node("s1b0.dw").inputs());
        assertEquals(List.of("s1b0.fc1", "s1b0.gelu_add"), out.node("s1b0.gelu_mul").inputs());
        assertEquals(List.of("gap"), out.node("head_ln.ln").inputs());
        assertEquals(List.of("head_ln.ln"), out.node("flat").inputs());

        // idempotent
        ChannelsFirst.Result again = ChannelsFirst.apply(out);
        assertFalse(again.changed());
        assertSame(out, again.network());
    }

    @Test
    void regionWhoseTensorIsReadByAnUnsupportedOpIsLeftAlone() {
        SplittableRandom rnd = new SplittableRandom(1);
        Network net = Network.builder("flat").input("x", 3, 4, 5)
                .add("conv", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("nhwc", t(TO_LAST), "conv")
                .add("ln", ln(rnd, 3, 6), "nhwc")
                .add("flat", new Op.Flatten(1), "ln")
                .add("fc", linear(rnd, 120, 4), "flat")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        assertSame(net, r.network());
        assertFalse(r.changed());
        assertEquals(1, r.skipped().size());
        assertEquals(List.of("nhwc"), r.skipped().get(0).entries());
        assertTrue(r.skipped().get(0).reason().contains("'flat'"), r.skipped().get(0).reason());
    }

    @Test
    void regionWithAChannelsLastGraphOutputIsLeftAlone() {
        SplittableRandom rnd = new SplittableRandom(2);
        Network net = Network.builder("out").input("x", 3, 4, 5)
                .add("conv", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("nhwc", t(TO_LAST), "conv")
                .add("ln", ln(rnd, 3, 6), "nhwc")
                .add("relu", new Op.Relu(), "ln")
                .add("back", t(TO_FIRST), "relu")
                .add("conv2", conv(rnd, 6, 2, 1, 1, 0, 1), "back")
                .output("conv2").output("ln")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        assertSame(net, r.network());
        assertTrue(r.skipped().get(0).reason().contains("graph output"), r.skipped().get(0).reason());
    }

    @Test
    void regionReadingAnOutsideTensorIsLeftAlone() {
        SplittableRandom rnd = new SplittableRandom(3);
        // C = H = W = 4, so the NHWC tensor and the NCHW conv output have the same shape
        Network net = Network.builder("mix").input("x", 3, 4, 4)
                .add("conv", conv(rnd, 3, 4, 3, 1, 1, 1), "x")
                .add("nhwc", t(TO_LAST), "conv")
                .add("ln", ln(rnd, 3, 4), "nhwc")
                .add("sum", new Op.Binary(Arith.ADD), "ln", "conv")
                .add("back", t(TO_FIRST), "sum")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        assertSame(net, r.network());
        assertTrue(r.skipped().get(0).reason().contains("'conv'"), r.skipped().get(0).reason());

        // the same with a reshape producing the outside operand
        Network net2 = Network.builder("mix2").input("x", 3, 4, 5)
                .add("conv", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("nhwc", t(TO_LAST), "conv")
                .add("scrambled", new Op.Reshape(new int[]{4, 5, 6}), "conv")
                .add("sum", new Op.Binary(Arith.MUL), "scrambled", "nhwc")
                .add("back", t(TO_FIRST), "sum")
                .build();
        ChannelsFirst.Result r2 = ChannelsFirst.apply(net2);
        assertSame(net2, r2.network());
        assertEquals(1, r2.skipped().size());
    }

    @Test
    void onlyTheSafeRegionIsRewritten() {
        SplittableRandom rnd = new SplittableRandom(4);
        Network net = Network.builder("two").input("x", 3, 6, 6)
                .add("conv", conv(rnd, 3, 8, 3, 1, 1, 1), "x")
                .add("a.nhwc", t(TO_LAST), "conv")
                .add("a.ln", ln(rnd, 3, 8), "a.nhwc")
                .add("a.fc", linear(rnd, 8, 8), "a.ln")
                .add("a.back", t(TO_FIRST), "a.fc")
                .add("b.nhwc", t(TO_LAST), "a.back")
                .add("b.relu", new Op.Relu(), "b.nhwc")
                .add("b.pool", new Op.GlobalAvgPool(), "b.relu")   // pools over W and C: not position-wise
                .add("b.back", t(TO_FIRST), "b.relu")
                .add("sum", new Op.Add(), "b.back", "a.back")
                .output("sum").output("b.pool")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();
        assertSameFunction(net, out, "safe+unsafe");
        assertEquals(1, r.regions().size());
        assertEquals(List.of("a.nhwc"), r.regions().get(0).entries());
        assertEquals(List.of("a.back"), r.regions().get(0).exits());
        assertEquals(List.of("a.ln", "a.fc"), r.regions().get(0).nodes());
        assertEquals(1, r.skipped().size());
        assertEquals(List.of("b.nhwc"), r.skipped().get(0).entries());
        assertInstanceOf(Op.Conv.class, out.node("a.fc").op());
        for (String n : List.of("b.nhwc", "b.relu", "b.pool", "b.back")) {
            Node o = net.node(n);
            Node m = out.node(n);
            assertEquals(o.op(), m.op());
        }
        assertEquals(List.of("a.fc"), out.node("b.nhwc").inputs());
        assertEquals(List.of("b.back", "a.fc"), out.node("sum").inputs());
    }

    @Test
    void branchingRegionWithSeveralEntriesAndExits() {
        SplittableRandom rnd = new SplittableRandom(5);
        Network net = Network.builder("branch").input("x", 3, 5, 7)
                .add("c1", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("c2", conv(rnd, 3, 6, 1, 1, 0, 1), "x")
                .add("t1", t(TO_LAST), "c1")
                .add("t2", t(TO_LAST), "c2")
                .add("sum", new Op.Binary(Arith.SUB), "t1", "t2")
                .add("ln", ln(rnd, 3, 6), "sum")
                .add("fa", linear(rnd, 6, 12), "ln")
                .add("fb", linear(rnd, 6, 12), "ln")
                .add("sig", new Op.Sigmoid(), "fb")
                .add("gate", new Op.Binary(Arith.MUL), "fa", "sig")
                .add("pos", new Op.Sqrt(), "sig")
                .add("wscale", new Op.ConstArith(Arith.DIV, rand(rnd, 0.5, 1.5, 7, 12), true), "pos")
                .add("red", new Op.ReduceMean(new int[]{3}, true), "gate")   // over channels, keeping dims
                .add("centred", new Op.Binary(Arith.SUB), "gate", "red")
                .add("soft", new Op.Softmax(-1), "centred")
                .add("cat", new Op.Concat(3), "soft", "wscale")
                .add("e1", t(TO_FIRST), "cat")
                .add("e2", t(TO_FIRST), "ln")
                .add("head", conv(rnd, 24, 4, 1, 1, 0, 1), "e1")
                .add("head2", conv(rnd, 6, 4, 1, 1, 0, 1), "e2")
                .add("out", new Op.Add(), "head", "head2")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();
        assertSameFunction(net, out, "branching region");
        assertEquals(List.of(), out.nodesOf(Op.Transpose.class), CfNets.describe(out));
        assertEquals(1, r.regions().size());
        assertEquals(Set.of("t1", "t2"), new HashSet<>(r.regions().get(0).entries()));
        assertEquals(Set.of("e1", "e2"), new HashSet<>(r.regions().get(0).exits()));
        assertArrayEquals(new int[]{12, 1, 7}, ((Op.ConstArith) out.node("wscale").op()).constant().shape());
        assertArrayEquals(new int[]{1}, ((Op.ReduceMean) out.node("red").op()).axes());
        assertEquals(1, ((Op.Softmax) out.node("soft").op()).axis());
        assertEquals(1, ((Op.Concat) out.node("cat").op()).axis());
        assertEquals(List.of("c1", "c2"), out.node("sum").inputs());
    }

    @Test
    void inversePairsAndIdentityTransposesCancel() {
        SplittableRandom rnd = new SplittableRandom(6);
        Network net = Network.builder("pairs").input("x", 3, 4, 5)
                .add("conv", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("tf", t(TO_FIRST), "conv")
                .add("tl", t(TO_LAST), "tf")
                .add("relu", new Op.Relu(), "tl")
                .add("id", t(0, 1, 2, 3), "relu")
                .add("swap1", t(0, 1, 3, 2), "id")
                .add("swap2", t(0, 1, 3, 2), "swap1")
                .add("conv2", conv(rnd, 6, 2, 1, 1, 0, 1), "swap2")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();
        assertSameFunction(net, out, "pairs");
        assertEquals(List.of(), out.nodesOf(Op.Transpose.class), CfNets.describe(out));
        assertEquals(Set.of("tf", "tl", "id", "swap1", "swap2"), new HashSet<>(r.removedTransposes()));
        assertEquals(List.of("conv"), out.node("relu").inputs());
        assertEquals(List.of("relu"), out.node("conv2").inputs());
    }

    @Test
    void chainedTransposesFuse() {
        SplittableRandom rnd = new SplittableRandom(7);
        Network net = Network.builder("fuse").input("x", 3, 4, 5)
                .add("conv", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("a", t(TO_LAST), "conv")
                .add("b", t(0, 1, 3, 2), "a")
                .add("flat", new Op.Flatten(1), "b")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();
        assertSameFunction(net, out, "fused");
        assertEquals(List.of("b"), r.fused());
        assertEquals(List.of("a"), r.removedTransposes());
        assertArrayEquals(new int[]{0, 2, 1, 3}, ((Op.Transpose) out.node("b").op()).perm());
        assertEquals(List.of("conv"), out.node("b").inputs());
    }

    @Test
    void exitThatIsAGraphOutputKeepsItsName() {
        SplittableRandom rnd = new SplittableRandom(8);
        Network net = Network.builder("named").input("x", 3, 4, 5)
                .add("conv", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("nhwc", t(TO_LAST), "conv")
                .add("ln", ln(rnd, 3, 6), "nhwc")
                .add("fc", linear(rnd, 6, 5), "ln")
                .add("y", t(TO_FIRST), "fc")
                .add("y2", t(TO_FIRST), "fc")
                .add("z", new Op.Relu(), "y2")
                .output("y").output("y2").output("z")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();
        assertEquals(List.of("y", "y2", "z"), out.outputs());
        assertSameFunction(net, out, "graph-output exit");
        assertEquals(List.of(), out.nodesOf(Op.Transpose.class));
        assertEquals(Map.of("fc", "y"), r.renamed());
        assertInstanceOf(Op.Conv.class, out.node("y").op());
        assertTrue(out.findNode("fc").isEmpty());
        // the second output of the same tensor becomes an Identity
        assertInstanceOf(Op.Identity.class, out.node("y2").op());
        assertEquals(List.of("y"), out.node("y2").inputs());

        // a pair on the network input that is the graph output: an Identity keeps the name
        Network pair = Network.builder("pair").input("x", 3, 4, 5)
                .add("a", t(TO_LAST), "x")
                .add("b", t(TO_FIRST), "a")
                .build();
        ChannelsFirst.Result rp = ChannelsFirst.apply(pair);
        assertEquals(List.of("b"), rp.network().outputs());
        assertEquals(1, rp.network().nodes().size());
        assertInstanceOf(Op.Identity.class, rp.network().node("b").op());
        assertSameFunction(pair, rp.network(), "pair on input");
    }

    /** LayerNorm in the decomposed ReduceMean / Sub / Pow / Add ε / Sqrt / Div / Mul / Add form torch exports. */
    @Test
    void decomposedLayerNormRegion() {
        SplittableRandom rnd = new SplittableRandom(9);
        Network net = Network.builder("decomposed").input("x", 3, 5, 4)
                .add("conv", conv(rnd, 3, 6, 3, 1, 1, 1), "x")
                .add("nhwc", t(TO_LAST), "conv")
                .add("mean", new Op.ReduceMean(new int[]{3}, true), "nhwc")
                .add("sub", new Op.Binary(Arith.SUB), "nhwc", "mean")
                .add("pow", Op.ConstArith.right(Arith.POW, CfNets.scalar(2f)), "sub")
                .add("var", new Op.ReduceMean(new int[]{3}, true), "pow")
                .add("eps", Op.ConstArith.right(Arith.ADD, CfNets.scalar(1e-6f)), "var")
                .add("sqrt", new Op.Sqrt(), "eps")
                .add("div", new Op.Binary(Arith.DIV), "sub", "sqrt")
                .add("scale", Op.ConstArith.right(Arith.MUL, rand(rnd, 0.5, 1.5, 6)), "div")
                .add("shift", new Op.ConstArith(Arith.ADD, rand(rnd, -0.1, 0.1, 6), true), "scale")
                .add("back", t(TO_FIRST), "shift")
                .add("conv2", conv(rnd, 6, 3, 1, 1, 0, 1), "back")
                .build();
        ChannelsFirst.Result r = ChannelsFirst.apply(net);
        Network out = r.network();
        assertSameFunction(net, out, "decomposed LayerNorm");
        assertEquals(List.of(), out.nodesOf(Op.Transpose.class));
        assertArrayEquals(new int[]{1}, ((Op.ReduceMean) out.node("mean").op()).axes());
        assertArrayEquals(new int[]{6, 1, 1}, ((Op.ConstArith) out.node("scale").op()).constant().shape());
        assertArrayEquals(new int[]{6, 1, 1}, ((Op.ConstArith) out.node("shift").op()).constant().shape());
        assertEquals(List.of("conv", "mean"), out.node("sub").inputs());
    }
}
