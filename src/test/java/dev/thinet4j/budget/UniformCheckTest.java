package dev.thinet4j.budget;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.eval.Evaluation;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;

class UniformCheckTest {

    private static BudgetPlan someSolvedPlan(Network net, BudgetTarget target, int... keeps) {
        List<String> layers = List.of("conv1", "conv2", "conv3");
        List<BudgetPlan.Choice> choices = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            int c = new dev.thinet4j.surgery.DependencyGraph(net).groupOf(layers.get(i)).channels();
            choices.add(new BudgetPlan.Choice(layers.get(i), c, keeps[i], 0.0));
        }
        BudgetPlan draft = new BudgetPlan(target, choices, ModelSize.of(net).totalMacs(), 0, 0, false);
        return new BudgetPlan(target, choices, draft.baselineCost(), Budget.measure(net, draft, target.resource()), 0,
                true);
    }

    @Test
    void uniformPlanIsTheSmallestSingleRatioMeetingTheTargetByBruteForce() {
        Network net = TestNets.vggLike(3);
        for (double keep : new double[]{0.9, 0.7, 0.5, 0.3}) {
            BudgetTarget target = BudgetTarget.macs(keep);
            BudgetPlan solved = someSolvedPlan(net, target, 4, 4, 3);
            BudgetPlan uniform = UniformCheck.uniformPlan(net, solved);
            assertNotNull(uniform, "keep " + keep);
            long limit = (long) Math.floor(keep * solved.baselineCost());
            assertThat(uniform.cost()).isLessThanOrEqualTo(limit);
            assertEquals(uniform.cost(), ModelSize.of(new ThiNetPruner(PrunerConfig.builder()
                    .criterion(Criterion.L1).reconstruction(Reconstruction.NONE).images(8).build())
                    .prune(net, uniform, data(net, 8)).network()).totalMacs());
            // brute force over ratios on a 1e-4 grid: the first one meeting the target keeps the same channels
            for (int step = 0; step <= 9990; step++) {
                double r = step / 10000.0;
                int[] keeps = new int[3];
                for (int i = 0; i < 3; i++) {
                    int c = solved.choices().get(i).channels();
                    keeps[i] = Math.max(1, c - (int) Math.floor(c * r));
                }
                BudgetPlan p = someSolvedPlan(net, target, keeps);
                if (p.cost() <= limit) {
                    for (int i = 0; i < 3; i++) {
                        assertEquals(keeps[i], uniform.choices().get(i).keep(), "keep " + keep + " layer " + i);
                    }
                    break;
                }
            }
        }
    }

    @Test
    void checkChoosesThePlanThatScoresBetterWhenBothArePrunedIndependently() {
        Network net = TestNets.vggLike(5);
        int n = 60;
        int[] labels = new int[n];
        float[] x = Forward.images(net, n, 7);
        // labels = the unpruned network's own predictions, so accuracy measures agreement with it
        float[] z = Forward.run(net, x, n);
        int k = z.length / n;
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 1; j < k; j++) {
                if (z[i * k + j] > z[i * k + best]) {
                    best = j;
                }
            }
            labels[i] = best;
        }
        var in = net.input();
        ImageSource all = ImageSources.fromArray(x, n, in.channels(), in.height(), in.width(), null);
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(20).pointsPerImage(8).batchSize(10).seed(2).build();
        DataSplit split = DataSplit.of(all, labels, 20, 40, config.seed());
        BudgetPlan solved = someSolvedPlan(net, BudgetTarget.macs(0.5), 1, 8, 6);
        assertThat(solved.keptFraction()).isLessThanOrEqualTo(0.5);
        for (int[] lab : new int[][]{split.evaluationLabels(), null}) {
            UniformCheck.Result r = UniformCheck.check(net, solved, split.calibration(), split.evaluation(), lab,
                    config);
            assertNotNull(r.uniform());
            double s = score(net, solved, split, lab, config);
            double u = score(net, r.uniform(), split, lab, config);
            // the same pruned networks (same seed); the scores differ only by float batching of the forward pass
            assertEquals(s, r.solvedScore(), 1e-6);
            assertEquals(u, r.uniformScore(), 1e-6);
            boolean uniformBetter = lab != null ? u > s : u < s;
            assertSame(uniformBetter ? r.uniform() : solved, r.chosen());
            assertThat(r.describe()).contains(uniformBetter ? "using the uniform plan" : "using the solver's plan");
        }
    }

    private static double score(Network net, BudgetPlan plan, DataSplit split, int[] labels, PrunerConfig config) {
        Network pruned = new ThiNetPruner(config).prune(net, plan, split.calibration()).network();
        if (labels != null) {
            return Evaluation.accuracy(pruned, split.evaluation(), labels, 7);
        }
        int n = split.evaluation().size();
        double err = 0;
        double energy = 0;
        float[] imgs = toArray(split.evaluation());
        float[] a = Forward.run(net, imgs, n);
        float[] b = Forward.run(pruned, imgs, n);
        for (int i = 0; i < a.length; i++) {
            err += ((double) b[i] - a[i]) * ((double) b[i] - a[i]);
            energy += (double) a[i] * a[i];
        }
        return err / energy;
    }

    private static float[] toArray(ImageSource source) {
        List<float[]> parts = new ArrayList<>();
        int total = 0;
        for (dev.thinet4j.data.Batch b : source.batches(16)) {
            try (var a = b.toINDArray()) {
                float[] f = a.dup('c').data().asFloat();
                parts.add(f);
                total += f.length;
            }
        }
        float[] out = new float[total];
        int at = 0;
        for (float[] f : parts) {
            System.arraycopy(f, 0, out, at, f.length);
            at += f.length;
        }
        return out;
    }

    private static ImageSource data(Network net, int n) {
        var in = net.input();
        return ImageSources.fromArray(Forward.images(net, n, 1), n, in.channels(), in.height(), in.width(), null);
    }
}
