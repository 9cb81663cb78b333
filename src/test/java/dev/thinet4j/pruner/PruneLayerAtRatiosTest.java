package dev.thinet4j.pruner;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** One sampling pass for several ratios gives exactly what one pruning run per ratio gives. */
class PruneLayerAtRatiosTest {

    static PruningPolicy only(String layer, double ratio) {
        return new PruningPolicy() {
            @Override
            public List<LayerPlan> plan(Network net) {
                return List.of(new LayerPlan(layer, ratio));
            }

            @Override
            public String name() {
                return "only:" + layer;
            }
        };
    }

    private static ImageSource data(Network net, int n, long seed) {
        var in = net.input();
        return ImageSources.fromArray(Forward.images(net, n, seed), n, in.channels(), in.height(), in.width(), null);
    }

    @ParameterizedTest
    @CsvSource({"THINET, FULL, vgg, conv2", "THINET_TPAMI, SCALE, vgg, conv3", "L1, NONE, vgg, conv1",
            "APOZ, FULL, residual, b2.conv1", "THINET, FULL, residual, stem"})
    void everyRatioEqualsItsOwnPruningRun(Criterion criterion, Reconstruction recon, String netName, String layer) {
        Network net = netName.equals("vgg") ? TestNets.vggLike(5) : TestNets.residual(6);
        PrunerConfig config = PrunerConfig.builder().criterion(criterion).reconstruction(recon).images(12)
                .pointsPerImage(5).batchSize(5).seed(11).build();
        ImageSource calib = data(net, 20, 3);
        double[] ratios = {0.05, 0.25, 0.5, 0.75};
        List<PruningResult> all = new ThiNetPruner(config).pruneLayerAtRatios(net, layer, ratios, calib);
        assertEquals(ratios.length, all.size());
        for (int k = 0; k < ratios.length; k++) {
            PruningResult one = new ThiNetPruner(config).prune(net, only(layer, ratios[k]), calib);
            assertEquals(one.network().nodes(), all.get(k).network().nodes(), "ratio " + ratios[k]);
            assertEquals(one.report().macsAfter(), all.get(k).report().macsAfter());
            assertEquals(one.report().layers().get(0).channelsAfter(), all.get(k).report().layers().get(0).channelsAfter());
        }
        // 0.05 of ≤ 12 channels removes none: the network comes back as is
        assertSame(net, all.get(0).network());
        int c = ((Op.Conv) net.node(layer).op()).outChannels();
        assertEquals(c - c / 2, ((Op.Conv) all.get(2).network().node(layer).op()).outChannels());
    }

    @Test
    void badRatiosAndLayersAreRefused() {
        Network net = TestNets.vggLike(1);
        ThiNetPruner p = new ThiNetPruner(PrunerConfig.builder().images(4).build());
        assertThrows(IllegalArgumentException.class,
                () -> p.pruneLayerAtRatios(net, "conv1", new double[]{1.0}, data(net, 4, 1)));
        assertThrows(IllegalArgumentException.class,
                () -> p.pruneLayerAtRatios(net, "fc1", new double[]{0.5}, data(net, 4, 1)));
    }
}
