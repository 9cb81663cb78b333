package dev.thinet4j.pruner;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.GroupedNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ThiNetPruner} through the grouped conv of a ResNeXt bottleneck (4 groups of 4 input and 4 output channels):
 * every criterion keeps a balanced set, the grouped consumer's weight is [C_out, kept per group, 3, 3] with its
 * columns taken from the right conv group, and the reconstructions do not raise the residual.
 */
class GroupedPruningTest {
    private static final int GROUPS = 4;

    private static PruningPolicy plan(double ratio, String... layers) {
        return new PruningPolicy() {
            @Override
            public List<LayerPlan> plan(Network net) {
                return java.util.Arrays.stream(layers).map(l -> new LayerPlan(l, ratio)).toList();
            }

            @Override
            public String name() {
                return "test";
            }
        };
    }

    private static ImageSource images(Network net, int n) {
        return ImageSources.fromArray(Forward.images(net, n, 3), n, 3, 8, 8, null);
    }

    private static PrunerConfig config(Criterion c, Reconstruction r) {
        return PrunerConfig.builder().criterion(c).reconstruction(r).images(40).pointsPerImage(20).seed(9)
                .batchSize(8).build();
    }

    private static void assertBalanced(int[] kept, int channels, String what) {
        int size = channels / GROUPS;
        int[] count = new int[GROUPS];
        for (int c : kept) {
            count[c / size]++;
        }
        for (int b = 1; b < GROUPS; b++) {
            assertEquals(count[0], count[b], what + ": kept per block " + java.util.Arrays.toString(count));
        }
    }

    @ParameterizedTest
    @EnumSource(Criterion.class)
    void everyCriterionPrunesBothSidesOfTheGroupedConvBalanced(Criterion criterion) {
        Network net = GroupedNets.resnextBlock(7, GROUPS, 4, 4);
        PruningResult r = new ThiNetPruner(config(criterion, Reconstruction.SCALE))
                .prune(net, plan(0.5, "conv1", "conv2"), images(net, 40));
        List<LayerReport> layers = r.report().layers();
        assertEquals(8, layers.get(0).channelsAfter());
        assertEquals(8, layers.get(1).channelsAfter());
        assertBalanced(layers.get(0).kept(), 16, criterion + " conv1");
        assertBalanced(layers.get(1).kept(), 16, criterion + " conv2");
        Op.Conv conv2 = (Op.Conv) r.network().node("conv2").op();
        assertArrayEquals(new int[]{8, 2, 3, 3}, conv2.weight().shape());
        assertEquals(GROUPS, conv2.groups());
        assertArrayEquals(new int[]{16, 8, 1, 1}, ((Op.Conv) r.network().node("conv3").op()).weight().shape());
        Forward.run(r.network(), Forward.images(net, 2, 1), 2);
    }

    /** Scale reconstruction multiplies column (kept channel j) of every row of j's conv group by one scale ŵ_j. */
    @Test
    void scaleReconstructionScalesTheColumnsOfTheRightConvGroup() {
        Network net = GroupedNets.resnextBlock(8, GROUPS, 4, 3);
        PruningResult r = new ThiNetPruner(config(Criterion.THINET, Reconstruction.SCALE))
                .prune(net, plan(0.5, "conv1"), images(net, 40));
        int[] kept = r.report().layers().get(0).kept();
        Op.Conv before = (Op.Conv) net.node("conv2").op();
        Op.Conv after = (Op.Conv) r.network().node("conv2").op();
        assertArrayEquals(new int[]{12, 2, 3, 3}, after.weight().shape());
        int rows = 12 / GROUPS;
        for (int q = 0; q < GROUPS; q++) {
            for (int a = 0; a < 2; a++) {
                int j = kept[q * 2 + a];
                assertEquals(q, j / 4, "kept channel " + j + " lies in block " + q);
                double scale = Double.NaN;
                for (int o = q * rows; o < (q + 1) * rows; o++) {
                    for (int k = 0; k < 9; k++) {
                        double w0 = before.weight().get((o * 4 + j - q * 4) * 9 + k);
                        double w1 = after.weight().get((o * 2 + a) * 9 + k);
                        if (Double.isNaN(scale)) {
                            scale = w1 / w0;
                        }
                        assertEquals(scale * w0, w1, 1e-5 * (1 + Math.abs(w1)), "row " + o + ", channel " + j);
                    }
                }
            }
        }
        LayerReport l = r.report().layers().get(0);
        assertTrue(l.residualAfter() <= l.residualBefore() + 1e-9, l.residualBefore() + " -> " + l.residualAfter());
    }

    @Test
    void fullReconstructionOfTheGroupedConsumerLowersTheResidual() {
        Network net = GroupedNets.resnextBlock(9, GROUPS, 4, 2);
        PruningResult r = new ThiNetPruner(config(Criterion.THINET, Reconstruction.FULL))
                .prune(net, plan(0.5, "conv1"), images(net, 40));
        LayerReport l = r.report().layers().get(0);
        assertTrue(l.residualAfter() < l.residualBefore(), l.residualBefore() + " -> " + l.residualAfter());
        assertArrayEquals(new int[]{8, 2, 3, 3}, ((Op.Conv) r.network().node("conv2").op()).weight().shape());
    }

    @Test
    void ratiosRoundDownToAMultipleOfTheBlocks() {
        Network net = GroupedNets.resnextBlock(10, GROUPS, 4, 4);
        ThiNetPruner pruner = new ThiNetPruner(config(Criterion.L1, Reconstruction.NONE));
        // 16 · 0.3 = 4.8 → 4 (one per block); 16 · 0.2 = 3.2 → 3 → 0: unchanged
        assertEquals(12, pruner.prune(net, plan(0.3, "conv1"), images(net, 40)).report().layers().get(0)
                .channelsAfter());
        PruningResult none = pruner.prune(net, plan(0.2, "conv2"), images(net, 40));
        assertEquals(16, none.report().layers().get(0).channelsAfter());
        assertSame(net.node("conv2").op(), none.network().node("conv2").op());
    }
}
