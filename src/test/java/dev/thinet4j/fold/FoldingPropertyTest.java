package dev.thinet4j.fold;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.testing.TestNets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static dev.thinet4j.fold.FoldAsserts.assertSameFunction;
import static dev.thinet4j.fold.FoldAsserts.bn;
import static dev.thinet4j.fold.FoldAsserts.conv;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every rewrite on random shapes, strides, padding, dilation, groups and BN statistics: the rewritten
 * network, run through InferenceEngine, equals the original (which runs each op separately) to 1e-5.
 */
class FoldingPropertyTest {
    private static final FoldOptions ANY_COST = FoldOptions.defaults().withAllowMoreMacs(true);

    @Property(tries = 40)
    void convThenBatchNormFoldsExactly(@ForAll @IntRange(min = 1, max = 4) int inPerGroup,
                                       @ForAll @IntRange(min = 1, max = 3) int groups,
                                       @ForAll @IntRange(min = 1, max = 3) int outPerGroup,
                                       @ForAll @IntRange(min = 1, max = 4) int kh,
                                       @ForAll @IntRange(min = 1, max = 4) int kw,
                                       @ForAll @IntRange(min = 1, max = 2) int stride,
                                       @ForAll @IntRange(min = 0, max = 2) int pt,
                                       @ForAll @IntRange(min = 0, max = 2) int pl,
                                       @ForAll @IntRange(min = 0, max = 2) int pb,
                                       @ForAll @IntRange(min = 0, max = 2) int pr,
                                       @ForAll @IntRange(min = 1, max = 2) int dilation,
                                       @ForAll boolean withBias,
                                       @ForAll @IntRange(min = 7, max = 11) int h,
                                       @ForAll long seed) {
        Random r = new Random(seed);
        int cin = inPerGroup * groups;
        int cout = outPerGroup * groups;
        Op.Conv c = conv(r, cin, cout, kh, kw, new Hw(stride, 1), new Padding(pt, pl, pb, pr), Hw.of(dilation), groups,
                withBias);
        Network net = Network.builder("conv-bn").input("x", cin, h, h + 1)
                .add("conv", c, "x").add("bn", bn(r, cout), "conv").add("relu", new Op.Relu(), "bn").build();

        FoldResult res = Folding.foldAll(net);

        assertEquals(List.of("conv", "relu"), res.network().nodes().stream().map(n -> n.name()).toList());
        assertEquals("conv", res.network().node("relu").input());
        assertEquals(FoldChange.Kind.BN_INTO_CONV, res.changes().get(0).kind());
        assertEquals("folded bn into conv", res.changes().get(0).description());
        Op.Conv folded = (Op.Conv) res.network().node("conv").op();
        assertEquals(c.strides(), folded.strides());
        assertEquals(c.pads(), folded.pads());
        assertEquals(c.groups(), folded.groups());
        assertSameFunction(net, res.network(), seed);
    }

    @Property(tries = 25)
    void linearThenBatchNormFoldsExactly(@ForAll @IntRange(min = 1, max = 3) int c,
                                         @ForAll @IntRange(min = 1, max = 4) int hw,
                                         @ForAll @IntRange(min = 1, max = 12) int features,
                                         @ForAll boolean withBias,
                                         @ForAll long seed) {
        Random r = new Random(seed);
        int in = c * hw * hw;
        Op.Linear fc = new Op.Linear(TestNets.rand(r, (float) Math.sqrt(1.0 / in), features, in),
                withBias ? TestNets.rand(r, 0.3f, features) : null);
        Network net = Network.builder("fc-bn").input("x", c, hw, hw)
                .add("flatten", new Op.Flatten(1), "x").add("fc", fc, "flatten").add("bn", bn(r, features), "fc")
                .output("bn").build();

        FoldResult res = Folding.foldAll(net);

        assertEquals(0, res.network().nodesOf(Op.BatchNorm.class).size());
        assertEquals(FoldChange.Kind.BN_INTO_LINEAR, res.changes().get(0).kind());
        // the BN was the graph output: the folded layer takes its name so the output name stays
        assertEquals(List.of("bn"), res.network().outputs());
        assertInstanceOf(Op.Linear.class, res.network().node("bn").op());
        assertSameFunction(net, res.network(), seed);
    }

    /**
     * ACNet / RepVGG: 2–4 parallel convs of kernel sizes 1, 3 or 5 (each axis on its own), "same"
     * padding plus a common extra margin, any stride, dilation and groups, each optionally followed
     * by its own BN, optionally with an identity or BN-only shortcut; summed by an Add.
     */
    @Property(tries = 50)
    void parallelBranchesMergeExactly(@ForAll @IntRange(min = 2, max = 4) int branches,
                                      @ForAll @IntRange(min = 1, max = 3) int perGroup,
                                      @ForAll @IntRange(min = 1, max = 2) int groups,
                                      @ForAll @IntRange(min = 1, max = 2) int stride,
                                      @ForAll @IntRange(min = 1, max = 2) int dilation,
                                      @ForAll @IntRange(min = 0, max = 1) int margin,
                                      @ForAll @IntRange(min = 0, max = 2) int shortcut,
                                      @ForAll @IntRange(min = 6, max = 10) int h,
                                      @ForAll long seed) {
        Random r = new Random(seed);
        int c = perGroup * groups;
        NetworkBuilder b = Network.builder("acnet").input("x", c, h, h - 1);
        List<String> sum = new ArrayList<>();
        for (int i = 0; i < branches; i++) {
            int kh = 1 + 2 * r.nextInt(3);
            int kw = 1 + 2 * r.nextInt(3);
            Padding pads = new Padding(dilation * (kh - 1) / 2 + margin, dilation * (kw - 1) / 2 + margin,
                    dilation * (kh - 1) / 2 + margin, dilation * (kw - 1) / 2 + margin);
            String name = "b" + i;
            b.add(name, conv(r, c, c, kh, kw, Hw.of(stride), pads, Hw.of(dilation), groups, r.nextBoolean()), "x");
            if (r.nextBoolean()) {
                b.add(name + ".bn", bn(r, c), name);
                name = name + ".bn";
            }
            sum.add(name);
        }
        boolean identityFits = stride == 1 && margin == 0;
        if (identityFits && shortcut == 1) {
            sum.add(1, "x");
        } else if (identityFits && shortcut == 2) {
            b.add("id.bn", bn(r, c), "x");
            sum.add("id.bn");
        }
        Network net = b.add("add", new Op.Add(), sum.toArray(String[]::new)).add("relu", new Op.Relu(), "add").build();

        FoldResult cheap = Folding.foldAll(net);
        assertSameFunction(net, cheap.network(), seed);
        assertTrue(dev.thinet4j.model.ModelSize.of(cheap.network()).totalMacs()
                <= dev.thinet4j.model.ModelSize.of(net).totalMacs(), "default options never add MACs");

        FoldResult all = Folding.foldAll(net, ANY_COST);
        assertEquals(List.of("b0", "relu"), all.network().nodes().stream().map(n -> n.name()).toList(),
                () -> "changes " + all.changes());
        assertEquals("b0", all.network().node("relu").input());
        assertSameFunction(net, all.network(), seed);
    }

    /** Convs of one geometry on one tensor, concatenated, maybe followed by a non-conv input. */
    @Property(tries = 30)
    void concatenatedConvsStackExactly(@ForAll @IntRange(min = 2, max = 3) int convs,
                                       @ForAll @IntRange(min = 1, max = 4) int cin,
                                       @ForAll @IntRange(min = 1, max = 3) int k,
                                       @ForAll @IntRange(min = 1, max = 2) int stride,
                                       @ForAll @IntRange(min = 0, max = 2) int pad,
                                       @ForAll boolean tail,
                                       @ForAll boolean withBn,
                                       @ForAll @IntRange(min = 6, max = 9) int h,
                                       @ForAll long seed) {
        Random r = new Random(seed);
        NetworkBuilder b = Network.builder("cat").input("x", cin, h, h);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < convs; i++) {
            int cout = 1 + r.nextInt(4);
            b.add("c" + i, conv(r, cin, cout, k, k, Hw.of(stride), Padding.of(pad), Hw.of(1), 1, r.nextBoolean()), "x");
            String name = "c" + i;
            if (withBn) {
                b.add(name + ".bn", bn(r, cout), name);
                name = name + ".bn";
            }
            parts.add(name);
        }
        int out = Math.floorDiv(h + 2 * pad - k, stride) + 1;
        boolean withTail = tail && out == h;
        if (withTail) {
            b.add("tail", new Op.Relu(), "x");
            parts.add("tail");
        }
        Network net = b.add("cat", new Op.Concat(1), parts.toArray(String[]::new)).output("cat").build();

        FoldResult res = Folding.foldAll(net);

        assertEquals(0, res.network().nodesOf(Op.BatchNorm.class).size());
        assertEquals(1, res.network().nodesOf(Op.Conv.class).size(), () -> res.network().nodes().toString());
        assertEquals(withTail ? 1 : 0, res.network().nodesOf(Op.Concat.class).size());
        assertEquals(List.of("cat"), res.network().outputs());
        assertSameFunction(net, res.network(), seed);
    }

    /**
     * 1×1 → k×k: rewritten exactly when the k×k has no padding or the 1×1 has no bias, and left alone
     * otherwise; k×k → 1×1: always rewritten.
     */
    @Property(tries = 50)
    void sequentialConvsComposeOnlyWhenExact(@ForAll @IntRange(min = 1, max = 4) int cin,
                                             @ForAll @IntRange(min = 1, max = 4) int mid,
                                             @ForAll @IntRange(min = 1, max = 4) int cout,
                                             @ForAll @IntRange(min = 1, max = 3) int kh,
                                             @ForAll @IntRange(min = 1, max = 3) int kw,
                                             @ForAll @IntRange(min = 1, max = 2) int stride,
                                             @ForAll @IntRange(min = 0, max = 2) int pad,
                                             @ForAll @IntRange(min = 1, max = 2) int dilation,
                                             @ForAll boolean pointwiseFirst,
                                             @ForAll boolean firstBias,
                                             @ForAll boolean secondBias,
                                             @ForAll @IntRange(min = 7, max = 10) int h,
                                             @ForAll long seed) {
        Random r = new Random(seed);
        Op.Conv one = conv(r, pointwiseFirst ? cin : mid, pointwiseFirst ? mid : cout, 1, 1, Hw.of(1), Padding.NONE,
                Hw.of(1), 1, pointwiseFirst ? firstBias : secondBias);
        Op.Conv big = conv(r, pointwiseFirst ? mid : cin, pointwiseFirst ? cout : mid, kh, kw, Hw.of(stride),
                Padding.of(pad), Hw.of(dilation), 1, pointwiseFirst ? secondBias : firstBias);
        Network net = Network.builder("seq").input("x", cin, h, h)
                .add("a", pointwiseFirst ? one : big, "x").add("b", pointwiseFirst ? big : one, "a")
                .add("relu", new Op.Relu(), "b").build();

        FoldResult res = Folding.foldAll(net, ANY_COST);

        boolean exact = !pointwiseFirst || pad == 0 || !firstBias;
        assertEquals(exact ? 1 : 2, res.network().nodesOf(Op.Conv.class).size(), () -> res.changes().toString());
        if (exact) {
            assertEquals(FoldChange.Kind.SEQUENTIAL, res.changes().get(0).kind());
            assertEquals("b", res.network().node("relu").input());
        } else {
            assertTrue(res.skipped().stream().anyMatch(s -> s.node().equals("b") && s.reason().contains("bias")),
                    () -> "skipped " + res.skipped());
        }
        assertSameFunction(net, res.network(), seed);
        FoldResult cheap = Folding.foldAll(net);
        assertTrue(dev.thinet4j.model.ModelSize.of(cheap.network()).totalMacs()
                <= dev.thinet4j.model.ModelSize.of(net).totalMacs());
        assertSameFunction(net, cheap.network(), seed);
    }

    /** k×k average pooling (count_include_pad) as a depthwise conv and as a dense C×C conv. */
    @Property(tries = 40)
    void averagePoolIsAConv(@ForAll @IntRange(min = 1, max = 5) int c,
                            @ForAll @IntRange(min = 1, max = 4) int kh,
                            @ForAll @IntRange(min = 1, max = 4) int kw,
                            @ForAll @IntRange(min = 1, max = 3) int stride,
                            @ForAll @IntRange(min = 0, max = 2) int padPick,
                            @ForAll @IntRange(min = 6, max = 10) int h,
                            @ForAll long seed) {
        int pad = Math.min(padPick, Math.min(kh, kw) / 2);
        Op.AvgPool pool = new Op.AvgPool(new Hw(kh, kw), Hw.of(stride), Padding.of(pad), true, false);
        Network net = Network.builder("pool").input("x", c, h, h).add("pool", pool, "x").output("pool").build();

        FoldResult res = Folding.foldAll(net, FoldOptions.defaults().withAvgPoolToConv(true));

        Op.Conv asConv = assertInstanceOf(Op.Conv.class, res.network().node("pool").op());
        assertEquals(c, asConv.groups());
        assertSameFunction(net, res.network(), seed);
        Network dense = Network.builder("dense").input("x", c, h, h)
                .add("pool", FoldMath.avgPoolAsConv(pool, c, 1), "x").build();
        assertSameFunction(net, dense, seed);
        assertTrue(Folding.foldAll(net).network().node("pool").op() instanceof Op.AvgPool, "off by default");
    }

    /**
     * Parallel convs that an Add accepts but that no single conv reproduces for every input size are
     * left alone: different dilations, or windows covering different output positions (3×3 pad 1 and
     * 2×2 pad 0 at stride 2 agree in size only on even inputs).
     */
    @Property(tries = 10)
    void incompatibleBranchesAreNotMerged(@ForAll @IntRange(min = 1, max = 3) int c,
                                          @ForAll @IntRange(min = 3, max = 5) int half,
                                          @ForAll long seed) {
        Random r = new Random(seed);
        int h = 2 * half;
        Op.Conv three = conv(r, c, c, 3, 3, Hw.of(1), Padding.of(1), Hw.of(1), 1, true);
        Op.Conv dilated = conv(r, c, c, 1, 1, Hw.of(1), Padding.NONE, Hw.of(2), 1, true);
        Network mixed = Network.builder("mixed").input("x", c, h, h).add("p", three, "x").add("q", dilated, "x")
                .add("add", new Op.Add(), "p", "q").build();
        FoldResult kept = Folding.foldAll(mixed, ANY_COST);
        assertEquals(mixed.nodes(), kept.network().nodes());
        assertTrue(kept.skipped().stream().anyMatch(s -> s.reason().contains("dilations differ")), kept.skipped()::toString);

        Op.Conv threeS2 = conv(r, c, c, 3, 3, Hw.of(2), Padding.of(1), Hw.of(1), 1, true);
        Op.Conv twoS2 = conv(r, c, c, 2, 2, Hw.of(2), Padding.NONE, Hw.of(1), 1, true);
        Network even = Network.builder("even").input("x", c, h, h).add("p", threeS2, "x").add("q", twoS2, "x")
                .add("add", new Op.Add(), "p", "q").build();
        FoldResult kept2 = Folding.foldAll(even, ANY_COST);
        assertEquals(even.nodes(), kept2.network().nodes());
        assertTrue(kept2.skipped().stream().anyMatch(s -> s.reason().contains("same output positions")),
                kept2.skipped()::toString);
        assertTrue(FoldMath.parallelObstacle(List.of(threeS2, twoS2)).isPresent());
    }
}
