package dev.thinet4j.fold;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import dev.thinet4j.zoo.ResNet;
import dev.thinet4j.zoo.Vgg;
import dev.thinet4j.zoo.ZooOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static dev.thinet4j.fold.FoldAsserts.assertSameFunction;
import static dev.thinet4j.fold.FoldAsserts.bn;
import static dev.thinet4j.fold.FoldAsserts.bnAfterLayer;
import static dev.thinet4j.fold.FoldAsserts.conv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The graph rewrites on hand-built patterns, the test nets and the zoo. */
class FoldingTest {

    private static List<String> names(Network net) {
        return net.nodes().stream().map(Node::name).toList();
    }

    @Test
    void weightFunctionsFollowTheirFormulas() {
        // conv 1→2, 1×1, weights 2 and −1, bias 1 and 0; BN γ=(2, 1), β=(0.5, 0), μ=(1, 2), σ²=(3, 0), ε=1
        Op.Conv c = Op.Conv.simple(Tensor.of(new float[]{2, -1}, 2, 1, 1, 1), Tensor.of(new float[]{1, 0}, 2));
        Op.BatchNorm b = new Op.BatchNorm(Tensor.of(new float[]{2, 1}, 2), Tensor.of(new float[]{0.5f, 0}, 2),
                Tensor.of(new float[]{1, 2}, 2), Tensor.of(new float[]{3, 0}, 2), 1f);
        Op.Conv f = FoldMath.foldBatchNorm(c, b);
        // s = (1, 1): W' = W, b' = β + s(b − μ) = (0.5, −2)
        assertThat(f.weight().data()).containsExactly(2f, -1f);
        assertThat(f.bias().data()).containsExactly(0.5f, -2f);

        Op.Conv noBias = Op.Conv.simple(Tensor.of(new float[]{2, -1}, 2, 1, 1, 1), null);
        assertThat(FoldMath.foldBatchNorm(noBias, b).bias().data()).containsExactly(-0.5f, -2f);

        // 1×1 next to 3×3 pad 1 → 3×3 with the 1×1 weight added at the centre
        Op.Conv three = new Op.Conv(Tensor.filled(1f, 1, 1, 3, 3), null, Hw.of(1), Padding.of(1), Hw.of(1), 1);
        Op.Conv one = Op.Conv.simple(Tensor.filled(5f, 1, 1, 1, 1), Tensor.of(new float[]{2}, 1));
        Op.Conv sum = FoldMath.sumParallel(List.of(three, one));
        assertThat(sum.weight().data()).containsExactly(1, 1, 1, 1, 6, 1, 1, 1, 1);
        assertThat(sum.bias().data()).containsExactly(2f);
        assertEquals(Padding.of(1), sum.pads());

        // 1×3 pad (0,1) and 3×1 pad (1,0) → 3×3 pad 1, a cross
        Op.Conv row = new Op.Conv(Tensor.of(new float[]{1, 2, 3}, 1, 1, 1, 3), null, Hw.of(1), new Padding(0, 1, 0, 1),
                Hw.of(1), 1);
        Op.Conv col = new Op.Conv(Tensor.of(new float[]{4, 5, 6}, 1, 1, 3, 1), null, Hw.of(1), new Padding(1, 0, 1, 0),
                Hw.of(1), 1);
        Op.Conv cross = FoldMath.sumParallel(List.of(row, col));
        assertThat(cross.weight().data()).containsExactly(0, 4, 0, 1, 7, 3, 0, 6, 0);
        assertEquals(Padding.of(1), cross.pads());
        assertNull(cross.bias());

        // stacked: C_out adds up
        Op.Conv stacked = FoldMath.concat(List.of(one, Op.Conv.simple(Tensor.filled(7f, 2, 1, 1, 1), null)));
        assertThat(stacked.weight().data()).containsExactly(5f, 7f, 7f);
        assertThat(stacked.bias().data()).containsExactly(2f, 0f, 0f);

        // 1×1 (×5, +2) then a 3×3 of ones without padding: W = 5 everywhere, b = 9·2
        Op.Conv valid = new Op.Conv(Tensor.filled(1f, 1, 1, 3, 3), null, Hw.of(1), Padding.NONE, Hw.of(1), 1);
        Op.Conv composed = FoldMath.composeSequential(one, valid);
        assertThat(composed.weight().data()).containsOnly(5f).hasSize(9);
        assertThat(composed.bias().data()).containsExactly(18f);
        assertThatThrownBy(() -> FoldMath.composeSequential(one, three))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-zero bias");

        Op.Conv avg = FoldMath.avgPoolAsConv(new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, false, false), 2, 2);
        assertThat(avg.weight().data()).containsOnly(0.25f).hasSize(8);
        assertThatThrownBy(() -> FoldMath.avgPoolAsConv(new Op.AvgPool(Hw.of(3), Hw.of(1), Padding.of(1), false, false),
                2, 1)).hasMessageContaining("count_include_pad");
        assertThatThrownBy(() -> FoldMath.foldBatchNorm(three, b)).hasMessageContaining("2 channels");
    }

    @Test
    void oneByOneBeforePaddedConvWithBiasIsNotComposed() {
        Random r = new Random(3);
        Op.Conv a = conv(r, 3, 4, 1, 1, Hw.of(1), Padding.NONE, Hw.of(1), 1, true);
        Op.Conv b = conv(r, 4, 2, 3, 3, Hw.of(1), Padding.of(1), Hw.of(1), 1, true);
        Network net = Network.builder("seq").input("x", 3, 6, 6).add("a", a, "x").add("b", b, "a").build();

        FoldResult res = Folding.foldAll(net, FoldOptions.defaults().withAllowMoreMacs(true));

        assertFalse(res.changed());
        assertSame(net, res.network());
        assertThat(res.skipped()).singleElement().satisfies(s -> {
            assertEquals("b", s.node());
            assertThat(s.reason()).contains("1x1 conv a").contains("non-zero bias");
        });

        // with a zero bias (or no padding) the same pair is composed
        Network zeroBias = net.replace(java.util.Map.of("a", new Node("a", a.withWeights(a.weight(), Tensor.zeros(4)),
                List.of("x"))));
        FoldResult ok = Folding.foldAll(zeroBias, FoldOptions.defaults().withAllowMoreMacs(true));
        assertEquals(List.of("b"), names(ok.network()));
        assertEquals("composed 1x1 conv a into b", ok.changes().get(0).description());
        assertSameFunction(zeroBias, ok.network(), 4);
    }

    /**
     * Composing anyway is wrong exactly at the border: there the original's 3×3 reads padded zeros of
     * the intermediate tensor, the forced conv reads padded zeros of x, i.e. b1 of the intermediate.
     * Each output differs by Σ W2[o, m, y, x]·b1[m] over its taps in the padding; inside it is equal.
     */
    @Test
    void forcedCompositionDiffersAtTheBorderByTheBiasTaps() {
        Random r = new Random(11);
        int h = 6;
        Op.Conv a = conv(r, 2, 3, 1, 1, Hw.of(1), Padding.NONE, Hw.of(1), 1, true);
        Op.Conv b = conv(r, 3, 2, 3, 3, Hw.of(1), Padding.of(1), Hw.of(1), 1, false);
        Network net = Network.builder("seq").input("x", 2, h, h).add("a", a, "x").add("b", b, "a").build();
        // the forced composition: compose without a's bias, then add Σ W2·b1 to the bias as if there were no padding
        Op.Conv unbiased = FoldMath.composeSequential(a.withWeights(a.weight(), null), b);
        float[] bias = new float[2];
        for (int o = 0; o < 2; o++) {
            for (int m = 0; m < 3; m++) {
                for (int t = 0; t < 9; t++) {
                    bias[o] += b.weight().get((o * 3 + m) * 9 + t) * a.bias().get(m);
                }
            }
        }
        Op.Conv forced = unbiased.withWeights(unbiased.weight(), Tensor.of(bias, 2));
        Network wrong = Network.builder("forced").input("x", 2, h, h).add("b", forced, "x").build();

        float[] x = Forward.images(net, 1, 5);
        float[] want = Forward.run(net, x, 1);
        float[] got = Forward.run(wrong, x, 1);
        for (int o = 0; o < 2; o++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < h; j++) {
                    double expectedDiff = 0; // Σ over taps (dy, dx) that land in the padding of W2[o,m,dy,dx]·b1[m]
                    for (int dy = 0; dy < 3; dy++) {
                        for (int dx = 0; dx < 3; dx++) {
                            int y = i + dy - 1;
                            int xx = j + dx - 1;
                            if (y < 0 || y >= h || xx < 0 || xx >= h) {
                                for (int m = 0; m < 3; m++) {
                                    expectedDiff += b.weight().at(o, m, dy, dx) * a.bias().get(m);
                                }
                            }
                        }
                    }
                    int k = (o * h + i) * h + j;
                    boolean border = i == 0 || j == 0 || i == h - 1 || j == h - 1;
                    assertEquals(expectedDiff, got[k] - want[k], 1e-4, "output " + o + "," + i + "," + j);
                    if (!border) {
                        assertEquals(0, expectedDiff);
                    }
                }
            }
        }
        assertTrue(Forward.relError(got, want) > 1e-3, "the forced rewrite is visibly wrong");
    }

    @Test
    void repVggBlockBecomesOneConv() {
        Random r = new Random(21);
        int c = 4;
        Network net = Network.builder("repvgg").input("x", c, 7, 7)
                .add("stem", conv(r, c, c, 3, 3, Hw.of(1), Padding.of(1), Hw.of(1), 1, true), "x")
                .add("dense", conv(r, c, c, 3, 3, Hw.of(1), Padding.of(1), Hw.of(1), 1, false), "stem")
                .add("dense_bn", bn(r, c), "dense")
                .add("pw", conv(r, c, c, 1, 1, Hw.of(1), Padding.NONE, Hw.of(1), 1, false), "stem")
                .add("pw_bn", bn(r, c), "pw")
                .add("id_bn", bn(r, c), "stem")
                .add("sum", new Op.Add(), "dense_bn", "pw_bn", "id_bn")
                .add("relu", new Op.Relu(), "sum")
                .add("head", conv(r, c, 2, 1, 1, Hw.of(1), Padding.NONE, Hw.of(1), 1, true), "relu")
                .build();

        FoldResult res = Folding.foldAll(net);

        assertEquals(List.of("stem", "dense", "relu", "head"), names(res.network()));
        assertEquals("dense", res.network().node("relu").input());
        assertThat(res.changes()).extracting(FoldChange::description).containsExactly(
                "folded dense_bn into dense", "folded pw_bn into pw",
                "merged branches dense, pw, id_bn of sum into dense");
        assertEquals(0, res.network().nodesOf(Op.BatchNorm.class).size());
        assertSameFunction(net, res.network(), 22);
        assertThat(ModelSize.of(res.network()).totalMacs()).isLessThan(ModelSize.of(net).totalMacs());
    }

    @Test
    void acnetBranchesBecomeOneThreeByThreeAndPartialMergesKeepTheAdd() {
        Random r = new Random(31);
        int c = 3;
        Network net = Network.builder("acnet").input("x", c, 8, 8)
                .add("sq", conv(r, c, c, 3, 3, Hw.of(2), Padding.of(1), Hw.of(1), 1, false), "x")
                .add("sq_bn", bn(r, c), "sq")
                .add("hor", conv(r, c, c, 1, 3, Hw.of(2), new Padding(0, 1, 0, 1), Hw.of(1), 1, false), "x")
                .add("hor_bn", bn(r, c), "hor")
                .add("ver", conv(r, c, c, 3, 1, Hw.of(2), new Padding(1, 0, 1, 0), Hw.of(1), 1, false), "x")
                .add("ver_bn", bn(r, c), "ver")
                .add("pool", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "x")
                .add("add", new Op.Add(), "pool", "sq_bn", "hor_bn", "ver_bn")
                .output("add")
                .build();

        FoldResult res = Folding.foldAll(net);

        assertEquals(List.of("pool", "sq", "add"), names(res.network()));
        assertEquals(List.of("pool", "sq"), res.network().node("add").inputs());
        Op.Conv merged = assertInstanceOf(Op.Conv.class, res.network().node("sq").op());
        assertEquals(new Hw(3, 3), merged.kernel());
        assertEquals("merged branches sq, hor, ver of add into sq", res.changes().get(3).description());
        assertSameFunction(net, res.network(), 32);
    }

    @Test
    void parallelOneByThreeAndThreeByOneAloneWouldAddMacsSoOnlyAllowMoreMacsMergesThem() {
        Random r = new Random(41);
        Network net = Network.builder("cross").input("x", 2, 6, 6)
                .add("hor", conv(r, 2, 2, 1, 3, Hw.of(1), new Padding(0, 1, 0, 1), Hw.of(1), 1, true), "x")
                .add("ver", conv(r, 2, 2, 3, 1, Hw.of(1), new Padding(1, 0, 1, 0), Hw.of(1), 1, true), "x")
                .add("add", new Op.Add(), "hor", "ver")
                .output("add")
                .build();
        FoldResult kept = Folding.foldAll(net);
        assertFalse(kept.changed());
        assertThat(kept.skipped()).singleElement().satisfies(s -> assertThat(s.reason()).contains("raise MACs"));

        FoldResult merged = Folding.foldAll(net, FoldOptions.defaults().withAllowMoreMacs(true));
        // the Add was the graph output: the merged conv takes its name
        assertEquals(List.of("add"), names(merged.network()));
        assertEquals(List.of("add"), merged.network().outputs());
        assertSameFunction(net, merged.network(), 42);
    }

    @Test
    void batchNormOfASharedConvIsKeptUnlessCopiesAreAllowed() {
        Random r = new Random(51);
        Network net = Network.builder("shared").input("x", 2, 5, 5)
                .add("conv", conv(r, 2, 3, 3, 3, Hw.of(1), Padding.of(1), Hw.of(1), 1, true), "x")
                .add("bn", bn(r, 3), "conv")
                .add("relu", new Op.Relu(), "conv")
                .add("add", new Op.Add(), "bn", "relu")
                .output("add")
                .build();
        FoldResult kept = Folding.foldAll(net);
        assertFalse(kept.changed());
        assertThat(kept.skipped()).singleElement().satisfies(s -> {
            assertEquals("bn", s.node());
            assertThat(s.reason()).contains("other readers");
        });

        FoldResult copied = Folding.foldAll(net, FoldOptions.defaults().withAllowMoreMacs(true));
        assertEquals(List.of("conv", "bn", "relu", "add"), names(copied.network()));
        assertInstanceOf(Op.Conv.class, copied.network().node("bn").op());
        assertEquals(0, bnAfterLayer(copied.network()));
        assertSameFunction(net, copied.network(), 52);
    }

    @Test
    void averagePoolInAnAddTakesTheGroupsOfItsSiblingAndMerges() {
        Random r = new Random(61);
        int c = 4;
        Network net = Network.builder("dbb").input("x", c, 6, 6)
                .add("conv", conv(r, c, c, 3, 3, Hw.of(1), Padding.of(1), Hw.of(1), 2, true), "x")
                .add("avg", new Op.AvgPool(Hw.of(3), Hw.of(1), Padding.of(1), true, false), "x")
                .add("add", new Op.Add(), "conv", "avg")
                .add("relu", new Op.Relu(), "add")
                .build();
        FoldResult res = Folding.foldAll(net, FoldOptions.defaults().withAvgPoolToConv(true));
        assertEquals(List.of("conv", "relu"), names(res.network()));
        assertEquals("converted average pool avg into a 3x3 conv with groups 2", res.changes().get(0).description());
        assertSameFunction(net, res.network(), 62);
    }

    @Test
    void testNetsAndZooNetsFoldWithoutChangingTheirOutputs() {
        List<Network> nets = List.of(TestNets.vggLike(1), TestNets.residual(2), TestNets.concatDepthwise(3),
                Vgg.small28(ZooOptions.randomized(4)), ResNet.small28Bottleneck(ZooOptions.randomized(5)),
                ResNet.small28Basic(ZooOptions.randomized(6)));
        for (Network net : nets) {
            FoldResult res = Folding.foldAll(net);
            assertEquals(0, bnAfterLayer(res.network()), net.name());
            assertEquals(ModelSize.of(net).totalMacs(), ModelSize.of(res.network()).totalMacs(), net.name());
            assertEquals(net.outputs(), res.network().outputs());
            assertSameFunction(net, res.network(), 7);
        }
    }
}
