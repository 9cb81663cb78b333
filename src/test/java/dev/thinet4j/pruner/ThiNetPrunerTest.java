package dev.thinet4j.pruner;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.report.LayerReport;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ThiNetPrunerTest {

    private static ImageSource data(Network net, int n, long seed) {
        var in = net.input();
        return ImageSources.fromArray(Forward.images(net, n, seed), n, in.channels(), in.height(), in.width(), null);
    }

    private static PrunerConfig config(Criterion c, Reconstruction r) {
        return PrunerConfig.builder().criterion(c).reconstruction(r).images(24).pointsPerImage(8).batchSize(10)
                .seed(3).build();
    }

    @ParameterizedTest
    @EnumSource(Criterion.class)
    void everyCriterionThinsEveryLayerOfTheUniformPlan(Criterion criterion) {
        Network net = TestNets.vggLike(1);
        PruningResult r = new ThiNetPruner(config(criterion, Reconstruction.FULL))
                .prune(net, Policies.uniform(0.5), data(net, 30, 2));
        Network pruned = r.network();
        assertEquals(4, ((Op.Conv) pruned.node("conv1").op()).outChannels());
        assertEquals(4, ((Op.Conv) pruned.node("conv2").op()).outChannels());
        assertEquals(3, ((Op.Conv) pruned.node("conv3").op()).outChannels());
        assertEquals(27, ((Op.Linear) pruned.node("fc1").op()).inFeatures());
        assertEquals(3, r.report().layers().size());
        assertThat(r.report().macsAfter()).isLessThan(r.report().macsBefore());
        // the pruned network still runs and gives finite outputs
        float[] y = Forward.run(pruned, Forward.images(net, 2, 9), 2);
        for (float v : y) {
            assertThat(Float.isFinite(v)).isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(Reconstruction.class)
    void reconstructionNeverIncreasesTheResidualOnTheSampledData(Reconstruction recon) {
        Network net = TestNets.residual(4);
        PruningResult r = new ThiNetPruner(config(Criterion.THINET, recon))
                .prune(net, Policies.resnet(0.5), data(net, 30, 5));
        assertEquals(2, r.report().layers().size());
        for (LayerReport l : r.report().layers()) {
            assertThat(l.residualAfter()).isLessThanOrEqualTo(l.residualBefore() + 1e-7);
            if (recon != Reconstruction.NONE) {
                assertThat(l.residualAfter()).isLessThan(l.residualBefore());
            }
        }
        // block output widths unchanged under the resnet policy
        assertEquals(8, ((Op.Conv) r.network().node("b1.conv2").op()).outChannels());
        assertEquals(12, ((Op.Conv) r.network().node("b2.conv2").op()).outChannels());
        assertEquals(3, ((Op.Conv) r.network().node("b1.conv1").op()).outChannels());
    }

    @ParameterizedTest
    @EnumSource(Reconstruction.class)
    void uniformPolicyOnAResidualNetWithDefaultTargetsPrunesEveryGroup(Reconstruction recon) {
        // uniform also cuts the residual trunk (stem + b1.conv2 coupled by the Add) before b1.conv1's group is
        // sampled; b1.conv2 then has fewer output filters than in the original network, so the default targets
        // from the original network cannot be used for that group and the current network's are taken instead
        Network net = TestNets.residual(4);
        PrunerConfig c = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(recon).images(24)
                .pointsPerImage(8).batchSize(10).seed(3).build();
        assertThat(c.targetsFromOriginal()).isTrue();
        PruningResult r = new ThiNetPruner(c).prune(net, Policies.uniform(0.5), data(net, 30, 5));
        Network pruned = r.network();
        assertEquals(4, ((Op.Conv) pruned.node("stem").op()).outChannels());
        assertEquals(4, ((Op.Conv) pruned.node("b1.conv2").op()).outChannels());
        assertEquals(3, ((Op.Conv) pruned.node("b1.conv1").op()).outChannels());
        assertEquals(4, ((Op.Conv) pruned.node("b2.conv1").op()).inChannels());
        assertThat(r.report().macsAfter()).isLessThan(r.report().macsBefore());
        for (float v : Forward.run(pruned, Forward.images(net, 2, 9), 2)) {
            assertThat(Float.isFinite(v)).isTrue();
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void fullReconstructionBringsTheOutputCloserToTheOriginal(boolean targetsFromOriginal) {
        Network net = TestNets.vggLike(7);
        float[] x = Forward.images(net, 40, 9);
        float[] ref = Forward.run(net, x, 40);
        double[] err = new double[2];
        Reconstruction[] modes = {Reconstruction.NONE, Reconstruction.FULL};
        for (int i = 0; i < 2; i++) {
            PrunerConfig c = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(modes[i]).images(200)
                    .pointsPerImage(8).batchSize(50).seed(3).targetsFromOriginal(targetsFromOriginal).build();
            err[i] = Forward.relError(Forward.run(new ThiNetPruner(c).prune(net, Policies.uniform(0.5),
                    data(net, 200, 8)).network(), x, 40), ref);
        }
        assertThat(err[1]).as("full vs none, targets from original: %s", targetsFromOriginal).isLessThan(err[0]);
    }

    @Test
    void sameSeedSameResultAndRatioZeroIsTheIdentity() {
        Network net = TestNets.vggLike(2);
        PrunerConfig c = config(Criterion.THINET, Reconstruction.SCALE);
        PruningResult a = new ThiNetPruner(c).prune(net, Policies.uniform(0.4), data(net, 30, 1));
        PruningResult b = new ThiNetPruner(c).prune(net, Policies.uniform(0.4), data(net, 30, 1));
        for (int i = 0; i < a.report().layers().size(); i++) {
            assertArrayEquals(a.report().layers().get(i).kept(), b.report().layers().get(i).kept());
        }
        assertEquals(((Op.Linear) a.network().node("fc1").op()).weight(),
                ((Op.Linear) b.network().node("fc1").op()).weight());

        PruningResult zero = new ThiNetPruner(c).prune(net, Policies.uniform(0.0), data(net, 30, 1));
        assertSame(net.node("conv1").op(), zero.network().node("conv1").op());
        assertEquals(net.nodes(), zero.network().nodes());
    }

    @Test
    void listenerSeesEveryLayerAndReportWritesCsv() throws Exception {
        Network net = TestNets.vggLike(3);
        List<String> events = new ArrayList<>();
        ProgressListener l = new ProgressListener() {
            @Override
            public void layerStarted(int index, int total, String layer) {
                events.add("start " + index + "/" + total + " " + layer);
            }

            @Override
            public void layerFinished(int index, int total, LayerReport report) {
                events.add("done " + report.layer() + " " + report.channelsAfter());
            }
        };
        PruningResult r = new ThiNetPruner(config(Criterion.L1, Reconstruction.NONE), FineTuner.NONE, l)
                .prune(net, Policies.uniform(0.5), data(net, 30, 1));
        assertEquals(List.of("start 1/3 conv1", "done conv1 4", "start 2/3 conv2", "done conv2 4", "start 3/3 conv3",
                "done conv3 3"), events);
        StringWriter w = new StringWriter();
        r.report().writeCsv(w);
        assertThat(w.toString()).contains("# criterion=l1").contains("# seed=3")
                .contains("layer,group,channels_before,channels_after").contains("conv1,conv1 => bn1 => conv2,8,4");
    }

    @Test
    void tooFewImagesOrWrongShapeIsAClearError() {
        Network net = TestNets.vggLike(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ThiNetPruner(config(Criterion.THINET, Reconstruction.FULL))
                        .prune(net, Policies.uniform(0.5), data(net, 10, 1)));
        assertThat(e.getMessage()).contains("asked for 24 calibration images but the data has 10");
        ImageSource wrong = ImageSources.fromArray(new float[10 * 4 * 12 * 12], 10, 4, 12, 12, null);
        e = assertThrows(IllegalArgumentException.class,
                () -> new ThiNetPruner(config(Criterion.THINET, Reconstruction.FULL)).prune(net, Policies.uniform(0.5), wrong));
        assertThat(e.getMessage()).contains("4x12x12").contains("3x12x12");
    }
}
