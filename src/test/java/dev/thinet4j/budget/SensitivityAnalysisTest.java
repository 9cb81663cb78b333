package dev.thinet4j.budget;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.policy.LayerPlan;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The analysis against the naive way: one full pruning run and one full forward pass per (layer, ratio). */
class SensitivityAnalysisTest {
    private static final int EVAL = 40;
    private static final double[] RATIOS = {0.1, 0.4, 0.7};

    private static ImageSource images(Network net, int n, long seed, int[] labels) {
        var in = net.input();
        return ImageSources.fromArray(Forward.images(net, n, seed), n, in.channels(), in.height(), in.width(), labels);
    }

    private static PruningPolicy only(String layer, double ratio) {
        return new PruningPolicy() {
            @Override
            public List<LayerPlan> plan(Network net) {
                return List.of(new LayerPlan(layer, ratio));
            }

            @Override
            public String name() {
                return layer;
            }
        };
    }

    /** Labels that the unpruned network gets right for two images in three. */
    private static int[] labels(Network net, float[] x, int n) {
        float[] z = Forward.run(net, x, n);
        int k = z.length / n;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (z[i * k + j] > z[i * k + best]) {
                    best = j;
                }
            }
            y[i] = i % 3 == 2 ? (best + 1) % k : best;
        }
        return y;
    }

    private static void checkAgainstNaive(Network net, PrunerConfig config, boolean withLabels) {
        ImageSource calib = images(net, 16, 1, null);
        float[] x = Forward.images(net, EVAL, 2);
        int[] y = withLabels ? labels(net, x, EVAL) : null;
        var in = net.input();
        ImageSource eval = ImageSources.fromArray(x, EVAL, in.channels(), in.height(), in.width(), null);
        SensitivityTable t = new SensitivityAnalysis(config, RATIOS, SensitivityAnalysis.Listener.NONE)
                .run(net, Policies.uniform(0.5), calib, eval, y);
        List<String> layers = SensitivityAnalysis.candidates(net, Policies.uniform(0.5));
        assertEquals(layers, t.layers());
        assertEquals(layers.size() * RATIOS.length, t.rows().size());
        assertEquals(withLabels ? Metric.ACCURACY : Metric.LOGIT_ERROR, t.metric());
        float[] base = Forward.run(net, x, EVAL);
        ModelSize size = ModelSize.of(net);
        int k = base.length / EVAL;
        if (withLabels) {
            assertEquals(accuracy(base, y, k), t.baseline(), 1e-12);
        }
        for (SensitivityRow row : t.rows()) {
            PruningResult naive = new ThiNetPruner(config).prune(net, only(row.layer(), row.ratio()), calib);
            float[] z = Forward.run(naive.network(), x, EVAL);
            double err = 0;
            double energy = 0;
            for (int i = 0; i < z.length; i++) {
                err += (z[i] - (double) base[i]) * (z[i] - (double) base[i]);
                energy += (double) base[i] * base[i];
            }
            String what = row.layer() + " @ " + row.ratio();
            assertEquals(Math.sqrt(err / energy), row.logitError(), 1e-5, what);
            assertEquals(withLabels ? accuracy(z, y, k) : row.logitError(), row.metric(), 1e-12, what);
            ModelSize after = ModelSize.of(naive.network());
            assertEquals(size.totalMacs() - after.totalMacs(), row.macsSaved(), what);
            assertEquals(size.totalParams() - after.totalParams(), row.paramsSaved(), what);
            assertEquals(naive.report().layers().get(0).channelsBefore() - naive.report().layers().get(0).channelsAfter(),
                    row.removed(), what);
        }
        EvaluationCost cost = t.cost();
        long evaluatedPairs = t.rows().stream().filter(r -> r.removed() > 0).count();
        assertThat(cost.evaluationMacs()).isLessThan(cost.naiveEvaluationMacs());
        assertThat(cost.naiveSamplingPasses()).isEqualTo(
                config.criterion() == Criterion.L1 && config.reconstruction() == Reconstruction.NONE ? 0 : evaluatedPairs);
    }

    private static double accuracy(float[] z, int[] y, int k) {
        return (double) SensitivityAnalysis.correct(z, y.length, y) / y.length;
    }

    @Test
    void matchesTheNaiveWayOnAPlainNetWithLabels() {
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(16).pointsPerImage(6).batchSize(7).seed(5).build();
        checkAgainstNaive(TestNets.vggLike(3), config, true);
    }

    @Test
    void matchesTheNaiveWayOnAResidualNetWithoutLabels() {
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.L1).reconstruction(Reconstruction.NONE)
                .images(16).batchSize(9).seed(2).build();
        checkAgainstNaive(TestNets.residual(4), config, false);
    }

    @Test
    void oneSamplingPassPerLayer() {
        Network net = TestNets.vggLike(9);
        PrunerConfig config = PrunerConfig.builder().images(8).pointsPerImage(3).batchSize(8).seed(1).build();
        SensitivityTable t = new SensitivityAnalysis(config, new double[]{0.7, 0.3, 0.5, 0.3},
                SensitivityAnalysis.Listener.NONE).run(net, Policies.uniform(0.5), images(net, 8, 1, null), images(net, 10, 2, null), null);
        assertEquals(List.of(0.3, 0.5, 0.7), t.rows(t.layers().get(0)).stream().map(SensitivityRow::ratio).toList());
        assertEquals(t.layers().size(), t.cost().samplingPasses());
        assertEquals(3L * t.layers().size(), t.cost().naiveSamplingPasses());
        assertThat(t.cost().summary()).contains("sampling 3 passes (naive 9)");
    }

    @Test
    void cutPointsLieBeforeTheChangedNodes() {
        Network vgg = TestNets.vggLike(1);
        // conv2 reads relu1: the tail after relu1 needs nothing earlier
        assertEquals(vgg.indexOf("relu1"), Suffix.cut(vgg, vgg.indexOf("conv2")));
        assertEquals(-1, Suffix.cut(vgg, vgg.indexOf("conv1")));
        Network res = TestNets.residual(1);
        // b1.conv2's block reads stem_relu through the shortcut: the cut is the block input
        assertEquals(res.indexOf("stem_relu"), Suffix.cut(res, res.indexOf("b1.conv2")));
        assertEquals(res.indexOf("b1.relu"), Suffix.cut(res, res.indexOf("b2.conv2")));
        Network tail = Suffix.after(res, res.indexOf("b1.relu"));
        assertEquals("b1.relu", tail.input().name());
        assertEquals(8, tail.input().channels());
    }

    @Test
    void badCandidatesAndDataAreRefused() {
        Network net = TestNets.residual(1);
        PrunerConfig config = PrunerConfig.builder().images(4).build();
        SensitivityAnalysis a = new SensitivityAnalysis(config);
        ImageSource ok = images(net, 4, 1, null);
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> a.run(net, List.of("stem", "b1.conv2"), ok, ok, null));
        assertThat(twice.getMessage()).contains("same coupled channels");
        assertThrows(IllegalArgumentException.class, () -> a.run(net, List.of("fc"), ok, ok, null));
        assertThrows(IllegalArgumentException.class, () -> a.run(net, List.of("b1.conv1"), ok, ok, new int[2]));
        ImageSource wrong = ImageSources.fromArray(new float[4 * 3 * 8 * 8], 4, 3, 8, 8, null);
        assertThrows(IllegalArgumentException.class, () -> a.run(net, List.of("b1.conv1"), ok, wrong, null));
        assertThrows(IllegalArgumentException.class, () -> new SensitivityAnalysis(config, new double[]{0.5, 1.0},
                SensitivityAnalysis.Listener.NONE));
        assertThrows(IllegalArgumentException.class, () -> new SensitivityAnalysis(config, new double[0],
                SensitivityAnalysis.Listener.NONE));
    }
}
