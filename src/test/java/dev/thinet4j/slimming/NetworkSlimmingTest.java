package dev.thinet4j.slimming;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.surgery.Member;
import dev.thinet4j.testing.Forward;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The compact network must equal the masked network — γ = 0 for the removed channels in every BN
 * they pass through — wherever no zero padding is involved; selection follows the global threshold,
 * the per-layer floor and the coupling rules.
 */
class NetworkSlimmingTest {

    /** The masked reference, built here from its definition. */
    static Network maskedReference(Network net, SlimmingPlan plan) {
        Map<String, float[]> scales = new HashMap<>();
        for (GroupPlan gp : plan.groups()) {
            for (Member m : gp.group().members()) {
                if (m instanceof Member.BatchNormChannels) {
                    float[] s = scales.computeIfAbsent(m.node(), k -> ((Op.BatchNorm) net.node(k).op()).scale().data());
                    for (int r : gp.removed()) {
                        s[m.offset() + r] = 0f;
                    }
                }
            }
        }
        Map<String, Node> repl = new HashMap<>();
        scales.forEach((name, s) -> {
            Op.BatchNorm bn = (Op.BatchNorm) net.node(name).op();
            repl.put(name, net.node(name).withOp(new Op.BatchNorm(Tensor.of(s, s.length), bn.bias(), bn.mean(), bn.var(),
                    bn.epsilon())));
        });
        return net.replace(repl);
    }

    static SlimmingConfig config(double percent, double layerKeep, DepthwiseStrategy s, boolean absorb) {
        return SlimmingConfig.builder().globalPercent(percent).layerKeep(layerKeep).depthwise(s).absorb(absorb).build();
    }

    static double compactVsMasked(Network net, SlimmingConfig config) {
        SlimmingPlan plan = NetworkSlimming.plan(net, config);
        Network masked = maskedReference(net, plan);
        Network compact = NetworkSlimming.apply(net, plan, config.absorb()).network();
        float[] x = Forward.images(net, 3, 7);
        return Forward.relError(Forward.run(compact, x, 3), Forward.run(masked, x, 3));
    }

    @Property(tries = 15)
    void compactEqualsMaskedWhenNoReaderIsZeroPadded(@ForAll @IntRange(min = 0, max = 10_000) int seed,
                                                     @ForAll @IntRange(min = 0, max = 2) int which,
                                                     @ForAll @IntRange(min = 0, max = 8) int percentTenths,
                                                     @ForAll @IntRange(min = 0, max = 6) int keepTenths,
                                                     @ForAll boolean intersect) {
        Network net = switch (which) {
            case 0 -> SlimNets.pointwise(seed);
            case 1 -> SlimNets.residualPointwise(seed, 3);
            default -> SlimNets.depthwise(seed);
        };
        SlimmingConfig config = config(percentTenths / 10.0, keepTenths / 10.0,
                intersect ? DepthwiseStrategy.INTERSECT : DepthwiseStrategy.KEEP_LARGER, true);
        SlimmingPlan plan = NetworkSlimming.plan(net, config);
        Network masked = maskedReference(net, plan);
        assertEquals(masked.nodes(), NetworkSlimming.mask(net, plan).nodes(), "library mask = definition");
        SlimmingResult r = NetworkSlimming.apply(net, plan, true);
        assertTrue(r.exact(), "every reader is pad-0, linear, or behind a masked BN");
        float[] x = Forward.images(net, 3, seed);
        assertThat(Forward.relError(Forward.run(r.network(), x, 3), Forward.run(masked, x, 3)))
                .as("compact vs masked, %s, plan %s", net.name(), plan.groups().stream().map(GroupPlan::removed).toList())
                .isLessThanOrEqualTo(1e-5);
        for (GroupPlan gp : plan.groups()) {
            assertThat(gp.kept().size()).isGreaterThanOrEqualTo(Math.max(1,
                    (int) Math.ceil(keepTenths / 10.0 * gp.group().channels() - 1e-9)));
            Op.Conv producer = (Op.Conv) r.network().node(gp.group().producers().get(0)).op();
            assertEquals(gp.kept().size(), producer.outChannels());
        }
        assertThat(r.after().totalParams()).isLessThanOrEqualTo(r.before().totalParams());
    }

    @Test
    void withoutAbsorptionTheRemovedChannelsConstantsAreMissing() {
        Network net = SlimNets.pointwise(3);
        assertThat(compactVsMasked(net, config(0.5, 0, DepthwiseStrategy.KEEP_LARGER, true))).isLessThanOrEqualTo(1e-5);
        // Sigmoid(β) and LeakyReLU(β) are never all zero: dropping them changes the output
        assertThat(compactVsMasked(net, config(0.5, 0, DepthwiseStrategy.KEEP_LARGER, false))).isGreaterThan(1e-3);
        SlimmingResult r = NetworkSlimming.slim(net, config(0.5, 0, DepthwiseStrategy.KEEP_LARGER, false));
        assertTrue(r.layers().stream().allMatch(l -> l.absorptions().isEmpty()));
    }

    @Test
    void aZeroPaddedReaderMatchesOnlyAwayFromTheBorder() {
        // β > 0 everywhere: removed channels emit ReLU(β) = β ≠ 0
        Network net = SlimNets.withBn(SlimNets.padded(4), "bn1", c -> c % 2 == 0 ? 0.001 * (c + 1) : 1 + c,
                c -> 0.3 + 0.1 * c);
        SlimmingConfig config = config(0.5, 0, DepthwiseStrategy.KEEP_LARGER, true);
        SlimmingPlan plan = NetworkSlimming.plan(net, config);
        assertEquals(List.of(0, 2, 4), plan.groups().get(0).removed());
        SlimmingResult r = NetworkSlimming.apply(net, plan, true);
        Absorption a = r.layers().get(0).absorptions().get(0);
        assertEquals(new Absorption("conv2", Absorption.Kind.CONV_BIAS, "conv2", a.maxShift(), false), a);
        assertThat(r.exact()).isFalse();

        int n = 2;
        float[] x = Forward.images(net, n, 5);
        float[] compact = Forward.run(r.network(), x, n);
        float[] masked = Forward.run(maskedReference(net, plan), x, n);
        float[] dropped = Forward.run(NetworkSlimming.apply(net, plan, false).network(), x, n);
        double interior = 0;
        double border = 0;
        double interiorDropped = 0;
        for (int i = 0; i < compact.length; i++) {
            int w = i % 6;
            int h = (i / 6) % 6;
            double d = Math.abs(compact[i] - masked[i]);
            if (h > 0 && h < 5 && w > 0 && w < 5) {
                interior = Math.max(interior, d);
                interiorDropped = Math.max(interiorDropped, Math.abs(dropped[i] - masked[i]));
            } else {
                border = Math.max(border, d);
            }
        }
        assertThat(interior).as("interior pixels").isLessThanOrEqualTo(1e-5);
        assertThat(border).as("border pixels see padding, not the constant").isGreaterThan(1e-3);
        assertThat(interiorDropped).as("without absorption even the interior differs").isGreaterThan(1e-3);
    }

    @Test
    void zeroConstantsAreExactEvenBehindPadding() {
        // β < 0: removed channels emit ReLU(β) = 0, so the padded reader sees zeros either way
        Network net = SlimNets.withBn(SlimNets.padded(6), "bn1", c -> c < 3 ? 0.001 * (c + 1) : 1 + c, c -> -0.2 - 0.1 * c);
        SlimmingConfig config = config(0.5, 0, DepthwiseStrategy.KEEP_LARGER, true);
        SlimmingResult r = NetworkSlimming.slim(net, config);
        assertTrue(r.exact());
        assertEquals(List.of(3, 4, 5), r.layers().get(0).kept());
        assertThat(compactVsMasked(net, config)).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void absorptionShiftsTheRunningMeanOfAFollowingBnOrCreatesABias() {
        Network net = SlimNets.pointwise(11);
        SlimmingResult r = NetworkSlimming.slim(net, config(0.5, 0, DepthwiseStrategy.KEEP_LARGER, true));
        Map<String, Absorption> byConsumer = new HashMap<>();
        r.layers().forEach(l -> l.absorptions().forEach(a -> byConsumer.put(a.consumer(), a)));
        assertEquals(Set.of("conv1b", "conv3", "fc"), byConsumer.keySet());
        assertEquals(Absorption.Kind.CONV_BIAS, byConsumer.get("conv1b").kind());
        assertEquals(Absorption.Kind.BN_RUNNING_MEAN, byConsumer.get("conv3").kind());
        assertEquals("bn3", byConsumer.get("conv3").target());
        assertEquals(Absorption.Kind.LINEAR_BIAS, byConsumer.get("fc").kind());
        assertTrue(r.exact());

        Network slim = r.network();
        assertNull(((Op.Conv) slim.node("conv3").op()).bias(), "the BN takes the shift; conv3 stays bias-free");
        assertNotNull(((Op.Conv) slim.node("conv1b").op()).bias(), "conv1b has no BN after it: a bias is created");
        // running_var is untouched: it is the original variance at the kept channels
        int[] kept = r.layers().stream().filter(l -> l.producers().equals(List.of("conv3"))).findFirst().orElseThrow()
                .kept().stream().mapToInt(Integer::intValue).toArray();
        Op.BatchNorm before = (Op.BatchNorm) net.node("bn3").op();
        Op.BatchNorm after = (Op.BatchNorm) slim.node("bn3").op();
        assertEquals(before.var().select(0, kept), after.var());
        assertThat(after.mean()).isNotEqualTo(before.mean().select(0, kept));
    }

    @Test
    void thresholdIsTheGlobalQuantileOfAllScoredGammas() {
        assertEquals(3.0, GammaThreshold.threshold(new double[]{5, 1, 4, 2, 3}, 0.4));
        assertEquals(1.0, GammaThreshold.threshold(new double[]{5, 1, 4, 2, 3}, 0.0), "nothing lies below the minimum");
        assertEquals(5.0, GammaThreshold.threshold(new double[]{5, 1, 4, 2, 3}, 0.99));
        assertArrayEquals(new boolean[]{false, true, true, false},
                GammaThreshold.kept(new double[]{0.1, 0.5, 0.2, 0.05}, 1.0, 2), "floor keeps the largest two");
        assertArrayEquals(new boolean[]{true, true, false, false},
                GammaThreshold.kept(new double[]{0.3, 0.3, 0.3, 0.05}, 1.0, 2), "ties go to the lower index");

        // pointwise has 8 + 10 + 6 = 24 scored channels (conv1b has no BN)
        Network net = SlimNets.pointwise(1);
        SlimmingPlan plan = NetworkSlimming.plan(net, config(0.25, 0, DepthwiseStrategy.KEEP_LARGER, true));
        assertEquals(24, plan.scoredCount());
        double[] all = new double[24];
        int k = 0;
        for (String bn : List.of("bn1", "bn2", "bn3")) {
            Tensor g = ((Op.BatchNorm) net.node(bn).op()).scale();
            for (int c = 0; c < g.size(); c++) {
                all[k++] = Math.abs(g.get(c));
            }
        }
        java.util.Arrays.sort(all);
        assertEquals(all[6], plan.threshold());
        assertEquals(6, plan.removedChannels(), "exactly ⌊0.25·24⌋ values lie below the threshold");
        assertThat(plan.skipped()).anyMatch(s -> s.contains("conv1b") && s.contains("BatchNormalization"));
    }

    @Test
    void everyLayerKeepsItsFloorOfLargestGammasAndNeverNothing() {
        Network net = SlimNets.withBn(SlimNets.pointwise(2), "bn2", c -> 1e-6 * (c + 1), null);
        SlimmingPlan plan = NetworkSlimming.plan(net, config(0.5, 0.3, DepthwiseStrategy.KEEP_LARGER, true));
        GroupPlan g2 = plan.groups().stream().filter(g -> g.producerNorms().equals(List.of("bn2"))).findFirst().orElseThrow();
        assertEquals(List.of(7, 8, 9), g2.kept(), "⌈0.3·10⌉ = 3 largest |γ|");

        Network tiny = SlimNets.withBn(SlimNets.withBn(SlimNets.withBn(SlimNets.pointwise(2), "bn1", c -> 1e-6 * (c + 1), null),
                "bn2", c -> 2e-5 * (c + 1), null), "bn3", c -> c == 3 ? 1 : 1e-3 * (c + 1), null);
        // 0.99·24 → the threshold is the one γ = 1; every other value lies below it
        SlimmingResult r = NetworkSlimming.slim(tiny, config(0.99, 0, DepthwiseStrategy.KEEP_LARGER, true));
        assertEquals(1.0, r.threshold());
        for (LayerChange l : r.layers()) {
            assertThat(l.channelsAfter()).as(l.producers().toString()).isEqualTo(1);
        }
        assertEquals(List.of(7), r.layers().get(0).kept(), "the largest |γ| of bn1");
        assertEquals(List.of(3), r.layers().get(2).kept());
        assertThat(compactVsMasked(tiny, config(0.99, 0, DepthwiseStrategy.KEEP_LARGER, true))).isLessThanOrEqualTo(1e-5);
    }

    @Test
    void channelsJoinedByAnAddGoOnlyWhenEveryBnLetsThemGo() {
        // four producers share the residual stream: stem, b1.conv2, b2.conv2, b3.conv2
        Network net = SlimNets.residualPointwise(9, 3);
        double[] small = {0.01, 0.02, 0.03, 0.04};
        String[] bns = {"stem_bn", "b1.bn2", "b2.bn2", "b3.bn2"};
        for (int i = 0; i < 4; i++) {
            int j = i;
            // channel 0 small in every BN, channel 1 small in stem_bn only
            net = SlimNets.withBn(net, bns[i], c -> c == 0 ? small[j] : (c == 1 && j == 0 ? 0.05 : 1 + 0.01 * c), null);
        }
        for (int i = 1; i <= 3; i++) {
            net = SlimNets.withBn(net, "b" + i + ".bn1", c -> 1 + 0.01 * c, null);
        }
        // 4·8 + 3·4 = 44 scored values, 5 of them small: percent 5/44 puts the threshold at the first 1.x
        SlimmingPlan plan = NetworkSlimming.plan(net, config(5.0 / 44 + 1e-6, 0, DepthwiseStrategy.KEEP_LARGER, true));
        assertEquals(44, plan.scoredCount());
        GroupPlan stream = plan.groups().get(0);
        assertEquals(List.of("stem", "b1.conv2", "b2.conv2", "b3.conv2"), stream.group().producers());
        assertEquals(List.of("stem_bn", "b1.bn2", "b2.bn2", "b3.bn2"), stream.producerNorms());
        assertEquals(List.of(0), stream.removed(), "channel 1 is strong in three of the four BNs: kept");
        assertEquals(1, plan.removedChannels());
        SlimmingResult r = NetworkSlimming.apply(net, plan, true);
        for (String conv : List.of("stem", "b1.conv2", "b2.conv2", "b3.conv2")) {
            assertEquals(7, ((Op.Conv) r.network().node(conv).op()).outChannels());
        }
        assertEquals(7, ((Op.Linear) r.network().node("fc").op()).inFeatures());
        assertThat(r.layers().get(0).absorptions()).extracting(Absorption::consumer, Absorption::kind)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("b1.conv1", Absorption.Kind.BN_RUNNING_MEAN),
                        org.assertj.core.groups.Tuple.tuple("b2.conv1", Absorption.Kind.BN_RUNNING_MEAN),
                        org.assertj.core.groups.Tuple.tuple("b3.conv1", Absorption.Kind.BN_RUNNING_MEAN),
                        org.assertj.core.groups.Tuple.tuple("fc", Absorption.Kind.LINEAR_BIAS));
        assertThat(compactVsMasked(net, config(5.0 / 44 + 1e-6, 0, DepthwiseStrategy.KEEP_LARGER, true)))
                .isLessThanOrEqualTo(1e-5);
    }

    @Test
    void depthwiseStrategiesTakeTheUnionOrTheIntersectionOfKeptChannels() {
        Network net = SlimNets.withBn(SlimNets.depthwise(3), "bn0", c -> c < 4 ? 0.01 * (c + 1) : 1 + 0.01 * c, null);
        net = SlimNets.withBn(net, "dw_bn", c -> c >= 2 && c < 6 ? 0.05 + 0.01 * (c - 2) : 1 + 0.01 * c, null);
        net = SlimNets.withBn(net, "pw_bn", c -> 1 + 0.01 * c, null);
        // 8 + 8 + 6 = 22 scored values, 8 small ones
        double percent = 8.0 / 22 + 1e-6;
        SlimmingPlan larger = NetworkSlimming.plan(net, config(percent, 0, DepthwiseStrategy.KEEP_LARGER, true));
        GroupPlan g = larger.groups().get(0);
        assertEquals(List.of("bn0"), g.producerNorms());
        assertEquals(List.of("dw_bn"), g.depthwiseNorms());
        assertEquals(List.of(2, 3), g.removed(), "removed only where both BNs are small");

        SlimmingPlan inter = NetworkSlimming.plan(net, config(percent, 0, DepthwiseStrategy.INTERSECT, true));
        assertEquals(List.of(6, 7), inter.groups().get(0).kept(), "kept only where both BNs are large");

        // floor ⌈0.5·8⌉ = 4: the intersection {6, 7} is topped up by min(|γ_bn0|, |γ_dw_bn|): ch5 (0.08), ch4 (0.07)
        SlimmingPlan topped = NetworkSlimming.plan(net, config(percent, 0.5, DepthwiseStrategy.INTERSECT, true));
        assertEquals(List.of(4, 5, 6, 7), topped.groups().get(0).kept());
        SlimmingPlan union = NetworkSlimming.plan(net, config(percent, 0.5, DepthwiseStrategy.KEEP_LARGER, true));
        assertEquals(List.of(0, 1, 4, 5, 6, 7), union.groups().get(0).kept());

        for (DepthwiseStrategy s : DepthwiseStrategy.values()) {
            SlimmingResult r = NetworkSlimming.slim(net, config(percent, 0, s, true));
            Op.Conv dw = (Op.Conv) r.network().node("dw").op();
            assertEquals(dw.outChannels(), dw.groups(), "still depthwise");
            assertEquals(s == DepthwiseStrategy.INTERSECT ? 2 : 6, dw.outChannels());
            assertThat(compactVsMasked(net, config(percent, 0, s, true))).isLessThanOrEqualTo(1e-5);
        }
    }

    @Test
    void groupsWithoutABnOrReachingTheOutputAreSkippedWithTheReason() {
        SlimmingPlan plan = NetworkSlimming.plan(SlimNets.padded(1), config(0.5, 0, DepthwiseStrategy.KEEP_LARGER, true));
        assertEquals(1, plan.groups().size());
        assertThat(plan.skipped()).singleElement().asString().contains("conv2").contains("network output");
        SlimmingResult r = NetworkSlimming.slim(SlimNets.padded(1), config(0, 0.1, DepthwiseStrategy.INTERSECT, true));
        assertEquals(6, r.layers().get(0).channelsAfter(), "percent 0 removes nothing");
        assertEquals(r.before(), r.after());
    }

    @Test
    void configAndStrategyNamesAreChecked() {
        assertThat(assertThrows(IllegalArgumentException.class, () -> SlimmingConfig.builder().globalPercent(1).build())
                .getMessage()).contains("global percent").contains("[0, 1)");
        assertThat(assertThrows(IllegalArgumentException.class, () -> SlimmingConfig.builder().layerKeep(-0.1).build())
                .getMessage()).contains("layer keep");
        assertThat(assertThrows(IllegalArgumentException.class, () -> SlimmingConfig.builder().removeBlocks(-1).build())
                .getMessage()).contains("blocks");
        assertEquals(DepthwiseStrategy.KEEP_LARGER, DepthwiseStrategy.parse("Keep_Larger"));
        assertEquals(DepthwiseStrategy.INTERSECT, DepthwiseStrategy.parse("intersect"));
        assertThat(assertThrows(IllegalArgumentException.class, () -> DepthwiseStrategy.parse("union")).getMessage())
                .contains("union").contains("keep-larger").contains("intersect");
        SlimmingConfig c = SlimmingConfig.builder().layerKeep(0.1).build();
        assertEquals(3, c.minKeep(30), "0.1·30 is 3, not 4");
        assertEquals(1, c.minKeep(4));
    }
}
