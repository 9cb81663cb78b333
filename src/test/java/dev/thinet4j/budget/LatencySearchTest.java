package dev.thinet4j.budget;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.reconstruction.Reconstruction;
import dev.thinet4j.selection.Criterion;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The latency search with deterministic meters (time = a function of the timed network's MACs), so its answer can be
 * checked against a brute-force scan of MACs budgets.
 */
class LatencySearchTest {
    private static Network net;
    private static SensitivityTable table;
    private static long macs0;

    @BeforeAll
    static void table() {
        net = TestNets.vggLike(2);
        var in = net.input();
        ImageSource data = ImageSources.fromArray(Forward.images(net, 40, 1), 40, in.channels(), in.height(),
                in.width(), null);
        PrunerConfig config = PrunerConfig.builder().criterion(Criterion.L1).reconstruction(Reconstruction.NONE)
                .images(10).seed(2).build();
        table = new SensitivityAnalysis(config, new double[]{0.25, 0.5, 0.75}, SensitivityAnalysis.Listener.NONE)
                .run(net, Policies.uniform(0.5), ImageSources.limit(data, 10), data, null);
        macs0 = ModelSize.of(net).totalMacs();
    }

    /** A meter: a fixed overhead (in units of the unpruned MACs) plus the network's MACs. */
    private static LatencySearch.LatencyMeter overhead(double fraction, AtomicInteger calls) {
        return n -> {
            calls.incrementAndGet();
            return fraction * macs0 + ModelSize.of(n).totalMacs();
        };
    }

    private static double fraction(Network n, double overhead) {
        return (overhead * macs0 + ModelSize.of(n).totalMacs()) / ((1 + overhead) * macs0);
    }

    @Test
    void findsTheLargestMacsBudgetWhoseLatencyMeetsTheTarget() {
        double overhead = 0.25;
        double target = 0.7;
        AtomicInteger calls = new AtomicInteger();
        LatencySearch.Result r = new LatencySearch(0.01, 12).search(net, table, target, BudgetTarget.macs(1),
                Damage.SQUARED_LOGIT_ERROR, overhead(overhead, calls));
        // the chosen plan's architecture, timed independently, meets the target
        Network arch = Budget.architecture(net, r.plan());
        assertThat(fraction(arch, overhead)).isLessThanOrEqualTo(target);
        assertEquals(fraction(arch, overhead), r.latencyFraction(), 1e-12);
        // brute force: the largest MACs budget on a 0.005 grid whose plan meets the target
        double bestGrid = 0;
        for (int k = 1; k <= 200; k++) {
            double f = k / 200.0;
            try {
                BudgetPlan p = Budget.solve(net, table, BudgetTarget.macs(f));
                if (fraction(Budget.architecture(net, p), overhead) <= target) {
                    bestGrid = f;
                }
            } catch (IllegalArgumentException infeasible) {
                // below the smallest reachable MACs
            }
        }
        // latency here is affine in MACs: (0.25 + m)/1.25 <= 0.7 means kept MACs m <= 0.625; a plan for the
        // budget f keeps between 0.98 f and f, so the largest f that meets is at most 0.625 / 0.98
        assertThat(bestGrid).isBetween(0.6, 0.625 / 0.98);
        // bisection to 0.01 lands within 0.01 of the grid optimum, and the solver within its 2 % tolerance of that
        assertThat(r.plan().keptFraction()).isGreaterThanOrEqualTo((bestGrid - 0.01) * (1 - 0.02))
                .isLessThanOrEqualTo(0.625);
        // every step is recorded; each new plan is timed once, right after the unpruned network
        assertThat(r.steps()).isNotEmpty().hasSizeLessThanOrEqualTo(12);
        assertThat(calls.get()).isLessThanOrEqualTo(2 * r.steps().size()).isEven();
        for (LatencySearch.Step s : r.steps()) {
            if (s.feasible()) {
                assertEquals(s.latencyFraction() <= target, s.meets());
            }
        }
    }

    @Test
    void latencyProportionalToMacsGivesTheMacsBudget() {
        LatencySearch.Result r = new LatencySearch().search(net, table, 0.5, BudgetTarget.macs(1),
                Damage.SQUARED_LOGIT_ERROR, n -> ModelSize.of(n).totalMacs());
        // the first guess f = target meets it (the solver's plan for macs<=0.5 keeps at most half the MACs);
        // bisecting above it may only find plans keeping more MACs, never over half
        BudgetPlan half = Budget.solve(net, table, BudgetTarget.macs(0.5));
        assertThat(r.latencyFraction()).isLessThanOrEqualTo(0.5);
        assertThat(r.plan().cost()).isGreaterThanOrEqualTo(half.cost());
        assertEquals(r.plan().keptFraction(), r.latencyFraction(), 1e-12);
        assertEquals(0.5, r.steps().get(0).macsTarget());
        assertThat(r.steps().get(0).meets()).isTrue();
    }

    @Test
    void anUnreachableTargetIsAnErrorSayingHowFarItGot() {
        // a fixed overhead of 10x the unpruned MACs: the latency fraction never drops below 10/11
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LatencySearch()
                .search(net, table, 0.5, BudgetTarget.macs(1), Damage.SQUARED_LOGIT_ERROR,
                        overhead(10, new AtomicInteger())));
        assertThat(e.getMessage()).contains("latency target 0.5000 not reached").contains("fastest plan tried");
        assertThrows(IllegalArgumentException.class, () -> new LatencySearch().search(net, table, 1.5,
                BudgetTarget.macs(1), Damage.SQUARED_LOGIT_ERROR, n -> 1.0));
    }

    @Test
    void theEngineMeterTimesBothNetworksAndChecksTheImages() {
        var in = net.input();
        ImageSource images = ImageSources.fromArray(Forward.images(net, 4, 9), 4, in.channels(), in.height(),
                in.width(), null);
        LatencySearch.LatencyMeter meter = LatencySearch.engine(images, 2, 1, 3);
        BudgetPlan half = Budget.solve(net, table, BudgetTarget.macs(0.5));
        double[] t = meter.timePair(net, Budget.architecture(net, half));
        assertEquals(2, t.length);
        assertThat(t[0]).isPositive().isFinite();
        assertThat(t[1]).isPositive().isFinite();
        assertThat(meter.time(net)).isPositive();
        ImageSource wrong = ImageSources.fromArray(new float[2 * 3 * 5 * 5], 2, 3, 5, 5, null);
        assertThat(in.height()).isNotEqualTo(5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LatencySearch.engine(wrong, 2, 1, 3).time(net));
        assertThat(e.getMessage()).contains("timing images are 3x5x5");
        assertThrows(IllegalArgumentException.class, () -> LatencySearch.engine(images, 0, 1, 3));
    }

    @Test
    void aTargetOfOneKeepsTheWholeNetwork() {
        LatencySearch.Result r = new LatencySearch().search(net, table, 1.0, BudgetTarget.macs(1),
                Damage.SQUARED_LOGIT_ERROR, n -> 1.0);
        assertThat(r.plan().ratios()).isEmpty();
        assertEquals(1.0, r.latencyFraction());
    }
}
