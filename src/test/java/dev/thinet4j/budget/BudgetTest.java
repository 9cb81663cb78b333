package dev.thinet4j.budget;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ThiNetPruner;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BudgetTest {

    @Test
    void thePlanMeetsTheBudgetOnTheRealPrunedNetwork(@TempDir Path dir) throws IOException {
        Network net = TestNets.residual(5);
        var in = net.input();
        int n = 60;
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 4;
        }
        ImageSource data = ImageSources.fromArray(Forward.images(net, n, 3), n, in.channels(), in.height(), in.width(),
                null);
        // targets from the current network: with the uniform candidates of a residual net a consumer of one group
        // is a producer of another, whose reference consumer no longer has the same shape
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.THINET).reconstruction(Reconstruction.FULL)
                .images(16).pointsPerImage(5).batchSize(16).seed(4).targetsFromOriginal(false).build();
        DataSplit split = DataSplit.of(data, labels, config.images(), 30, config.seed());
        BudgetTarget target = BudgetTarget.macs(0.7);
        BudgetPlan plan = Budget.policyFor(net, Policies.uniform(0.5), split.calibration(), split.evaluation(),
                split.evaluationLabels(), target, config, new double[]{0.3, 0.6, 0.9});
        long before = ModelSize.of(net).totalMacs();
        assertThat(plan.cost()).isLessThanOrEqualTo((long) Math.floor(0.7 * before));
        assertEquals(before, plan.baselineCost());
        PruningResult pruned = new ThiNetPruner(config).prune(net, plan, split.calibration());
        assertEquals(plan.cost(), ModelSize.of(pruned.network()).totalMacs());
        assertEquals(plan.cost(), Budget.measure(net, plan, BudgetTarget.Resource.MACS));
        // the policy file reads back as the same plan
        Path csv = dir.resolve("policy.csv");
        plan.writeCsv(csv);
        assertEquals(plan.plan(net), Policies.csv(csv).plan(net));
        // a plan for another network is refused
        assertThat(plan.plan(net)).isNotEmpty();
        assertThrows(IllegalArgumentException.class, () -> plan.plan(TestNets.vggLike(1)));
    }

    @Test
    void paramsBudgetWithRounding() {
        Network net = TestNets.vggLike(2);
        var in = net.input();
        ImageSource data = ImageSources.fromArray(Forward.images(net, 40, 1), 40, in.channels(), in.height(),
                in.width(), null);
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.L1).reconstruction(Reconstruction.NONE)
                .images(10).seed(2).build();
        SensitivityTable table = new SensitivityAnalysis(config, new double[]{0.25, 0.5, 0.75},
                SensitivityAnalysis.Listener.NONE).run(net, Policies.uniform(0.5), ImageSources.limit(data, 10), data,
                null);
        BudgetPlan plan = Budget.solve(net, table, BudgetTarget.params(0.8).withChannelMultiple(4));
        assertThat(plan.keptFraction()).isLessThanOrEqualTo(0.8);
        for (BudgetPlan.Choice c : plan.choices()) {
            assertThat(c.keep() == c.channels() || c.keep() % 4 == 0).isTrue();
        }
        assertEquals(plan.cost(), Budget.measure(net, plan, BudgetTarget.Resource.PARAMS));
        assertThrows(IllegalArgumentException.class, () -> Budget.solve(TestNets.residual(1), table,
                BudgetTarget.macs(0.5)));
    }

    @Test
    void dataSplitIsDisjointSeededAndCarriesTheLabels() {
        int n = 50;
        float[] x = new float[n];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;            // image i holds the value i
            labels[i] = 100 + i;
        }
        ImageSource data = ImageSources.fromArray(x, n, 1, 1, 1, null);
        DataSplit a = DataSplit.of(data, labels, 10, 25, 7);
        DataSplit b = DataSplit.of(data, labels, 10, 25, 7);
        assertArrayEquals(a.calibrationIndices(), b.calibrationIndices());
        assertArrayEquals(a.evaluationIndices(), b.evaluationIndices());
        assertArrayEquals(ImageSources.sampleIndices(n, 10, 7), a.calibrationIndices());
        Set<Integer> seen = new HashSet<>();
        Arrays.stream(a.calibrationIndices()).forEach(seen::add);
        Arrays.stream(a.evaluationIndices()).forEach(i -> assertThat(seen.add(i)).isTrue());
        assertEquals(35, seen.size());
        float[] got = values(a.evaluation());
        int[] idx = a.evaluationIndices();
        for (int k = 0; k < idx.length; k++) {
            assertEquals(idx[k], got[k]);
            assertEquals(100 + idx[k], a.evaluationLabels()[k]);
        }
        assertEquals(10, a.calibration().size());
        assertNull(DataSplit.of(data, null, 10, 25, 7).evaluationLabels());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DataSplit.of(data, labels, 30, 25, 7));
        assertThat(e.getMessage()).contains("at most 20 held-out images");
    }

    private static float[] values(ImageSource s) {
        List<Float> out = new java.util.ArrayList<>();
        for (Batch b : s.batches(7)) {
            for (float v : b.images()) {
                out.add(v);
            }
        }
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.get(i);
        }
        return f;
    }
}
