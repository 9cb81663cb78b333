package dev.thinet4j.budget;

import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The solver on synthetic sensitivity tables: hand-checkable optima, brute force, and the budget property. */
class BudgetSolverTest {

    /** A layer of C channels whose damage after removing r channels is damage[r − 1]; each channel saves unit MACs. */
    record Spec(String name, int channels, double[] damage, long unit) {
    }

    /** A logit-error table (damage = metric) with one row per removal count r = 1 … damage.length. */
    static SensitivityTable table(long fixed, Spec... specs) {
        List<SensitivityRow> rows = new ArrayList<>();
        long total = fixed;
        for (Spec s : specs) {
            total += s.unit * s.channels;
            for (int r = 1; r <= s.damage.length; r++) {
                rows.add(new SensitivityRow(s.name, s.channels, (double) r / s.channels, r, s.damage[r - 1],
                        s.damage[r - 1], r * s.unit, r * s.unit));
            }
        }
        return new SensitivityTable("synthetic", Metric.LOGIT_ERROR, 0, 100, total, total, rows, null);
    }

    static double[] linear(double slope, int n) {
        double[] d = new double[n];
        for (int r = 1; r <= n; r++) {
            d[r - 1] = slope * r;
        }
        return d;
    }

    static BudgetPlan solve(SensitivityTable t, BudgetTarget target) {
        return BudgetSolver.solve(t, target, CostModel.additive(t, target.resource(), t.layers()), Damage.METRIC);
    }

    static int keep(BudgetPlan p, String layer) {
        return p.choices().stream().filter(c -> c.layer().equals(layer)).findFirst().orElseThrow().keep();
    }

    @Example
    void theFlatLayerIsPrunedToItsLimitThenTheSteepOne() {
        // 1000 MACs, keep 0.9: 10 channels must go. B is 10x less sensitive but can lose at most 9.
        SensitivityTable t = table(800, new Spec("A", 10, linear(0.1, 9), 10), new Spec("B", 10, linear(0.01, 9), 10));
        BudgetPlan p = solve(t, BudgetTarget.macs(0.9));
        assertEquals(9, keep(p, "A"));
        assertEquals(1, keep(p, "B"));
        assertEquals(900, p.cost());
        assertEquals(0.19, p.predictedDamage(), 1e-12);
        assertTrue(p.withinTolerance());
        assertEquals(0.1, p.ratios().get("A"), 1e-15);
        assertEquals(0.9, p.ratios().get("B"), 1e-15);
        assertThat(p.name()).isEqualTo("budget:macs<=0.9");
    }

    @Example
    void aSteepFirstStepFollowedByAFlatStretchIsStillFound() {
        // A: 0.5 for the first channel, then nothing more; B: 0.15 per channel. 5 channels must go:
        // all from A costs 0.5, all from B 0.75 — a one-step greedy would pick B every time.
        double[] a = new double[9];
        java.util.Arrays.fill(a, 0.5);
        SensitivityTable t = table(800, new Spec("A", 10, a, 10), new Spec("B", 10, linear(0.15, 9), 10));
        BudgetPlan p = solve(t, BudgetTarget.macs(0.95));
        assertEquals(5, keep(p, "A"));
        assertEquals(10, keep(p, "B"));
        assertEquals(0.5, p.predictedDamage(), 1e-12);
        assertEquals(950, p.cost());
        assertEquals(List.of("A"), new ArrayList<>(p.ratios().keySet()), "a layer left whole is not in the plan");
    }

    @Example
    void roundingAndMinimumChannelsRestrictTheCounts() {
        // A: 32 channels → 24 or 16 (multiples of 8, at least 16); B: 20 → 16. Saving 160 of 2000 MACs needs A at 16.
        SensitivityTable t = table(1480, new Spec("A", 32, linear(0.01, 28), 10),
                new Spec("B", 20, linear(0.05, 18), 10));
        BudgetPlan p = solve(t, BudgetTarget.macs(0.92).withChannelMultiple(8).withMinChannels(16));
        assertEquals(16, keep(p, "A"));
        assertEquals(20, keep(p, "B"));
        assertEquals(1840, p.cost());
        assertEquals(0.16, p.predictedDamage(), 1e-12);
    }

    @Example
    void theDamageBetweenGridPointsIsInterpolatedAndNeverExtrapolated() {
        // rows only at 2 and 4 removed of 8 (ratios 0.25, 0.5), with a noisy dip at 4 made monotone
        List<SensitivityRow> rows = List.of(
                new SensitivityRow("A", 8, 0.25, 2, 0.2, 0.2, 20, 20),
                new SensitivityRow("A", 8, 0.5, 4, 0.1, 0.1, 40, 40));
        SensitivityTable t = new SensitivityTable("m", Metric.LOGIT_ERROR, 0, 10, 100, 100, rows, null);
        BudgetPlan p = BudgetSolver.solve(t, BudgetTarget.macs(0.7), CostModel.additive(t, BudgetTarget.Resource.MACS,
                t.layers()), Damage.METRIC);
        assertEquals(5, keep(p, "A"));
        assertEquals(0.2, p.predictedDamage(), 1e-12);   // envelope: max(0.2, 0.1) at 3 removed
        BudgetPlan q = BudgetSolver.solve(t, BudgetTarget.macs(0.9), CostModel.additive(t, BudgetTarget.Resource.MACS,
                t.layers()), Damage.METRIC);
        assertEquals(7, keep(q, "A"));
        assertEquals(0.1, q.predictedDamage(), 1e-12);   // half-way to the 0.2 at 2 removed
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BudgetSolver.solve(t, BudgetTarget.macs(0.5), CostModel.additive(t, BudgetTarget.Resource.MACS,
                        t.layers()), Damage.METRIC));
        assertThat(e.getMessage()).contains("cannot keep only 0.5000 of the macs").contains("keeps 0.6000");
    }

    @Example
    void accuracyTablesUseTheDropAndBreakTiesByTheLogitError() {
        // both layers keep the accuracy; B perturbs the logits less, so it goes first
        List<SensitivityRow> rows = List.of(
                new SensitivityRow("A", 4, 0.5, 2, 0.9, 0.3, 50, 5),
                new SensitivityRow("B", 4, 0.5, 2, 0.9, 0.1, 50, 5));
        SensitivityTable t = new SensitivityTable("m", Metric.ACCURACY, 0.9, 10, 1000, 100, rows, null);
        BudgetPlan p = BudgetSolver.solve(t, BudgetTarget.macs(0.95), CostModel.additive(t, BudgetTarget.Resource.MACS,
                t.layers()), Damage.METRIC);
        assertEquals(4, keep(p, "A"));
        assertEquals(2, keep(p, "B"));
    }

    @Example
    void theSquaredLogitErrorSpreadsThePruningOverLayersThatPerturbTheLogitsAlike() {
        // two identical layers, e = 0.1 per channel removed; 4 channels must go. Summing e, every split costs 0.4;
        // summing e², 2 + 2 costs 0.08 and 4 + 0 costs 0.16.
        SensitivityTable t = table(840, new Spec("A", 8, linear(0.1, 7), 10), new Spec("B", 8, linear(0.1, 7), 10));
        CostModel cost = CostModel.additive(t, BudgetTarget.Resource.MACS, t.layers());
        BudgetPlan p = BudgetSolver.solve(t, BudgetTarget.macs(0.96), cost);
        assertEquals(6, keep(p, "A"));
        assertEquals(6, keep(p, "B"));
        assertEquals(0.08, p.predictedDamage(), 1e-12);
        assertEquals(960, p.cost());
        assertEquals(Damage.SQUARED_LOGIT_ERROR, Damage.parse("Squared-Logit"));
        assertThrows(IllegalArgumentException.class, () -> Damage.parse("accuracy"));
        // with labels the squared error still comes from the logit error column, not from the accuracy
        List<SensitivityRow> rows = List.of(new SensitivityRow("A", 4, 0.5, 2, 0.5, 0.3, 50, 5));
        SensitivityTable acc = new SensitivityTable("m", Metric.ACCURACY, 0.9, 10, 1000, 100, rows, null);
        assertEquals(0.09, Damage.SQUARED_LOGIT_ERROR.of(acc, rows.get(0)), 1e-15);
        assertEquals(0.4 + 0.3 * SensitivityTable.LOGIT_TIE_BREAK, Damage.METRIC.of(acc, rows.get(0)), 1e-15);
    }

    /** Convex curves and equal costs per channel: the greedy is optimal; compared with every configuration. */
    @Property(tries = 80)
    void convexCurvesWithEqualUnitCostsReachTheBruteForceOptimum(@ForAll @IntRange(min = 1, max = 3) int layers,
                                                                  @ForAll @DoubleRange(min = 0.5, max = 0.99) double keep,
                                                                  @ForAll long seed) {
        Random r = new Random(seed);
        Spec[] specs = new Spec[layers];
        for (int i = 0; i < layers; i++) {
            int c = 2 + r.nextInt(5);
            double[] d = new double[c - 1];
            double step = r.nextDouble() * 0.1;
            double acc = 0;
            for (int k = 0; k < d.length; k++) {
                step += r.nextDouble() * 0.1;  // increasing increments: convex
                acc += step;
                d[k] = acc;
            }
            specs[i] = new Spec("L" + i, c, d, 1);
        }
        SensitivityTable t = table(20, specs);
        BudgetTarget target = BudgetTarget.macs(keep);
        long budget = (long) Math.floor(keep * t.totalMacs() + 1e-9 * t.totalMacs());
        double best = bruteForce(specs, 0, new int[layers], t.totalMacs(), budget);
        if (best == Double.POSITIVE_INFINITY) {
            assertThrows(IllegalArgumentException.class, () -> solve(t, target));
            return;
        }
        BudgetPlan p = solve(t, target);
        assertThat(p.cost()).isLessThanOrEqualTo(budget);
        assertEquals(best, p.predictedDamage(), 1e-9);
    }

    private static double bruteForce(Spec[] specs, int i, int[] removed, long total, long budget) {
        if (i == specs.length) {
            long cost = total;
            double d = 0;
            for (int k = 0; k < specs.length; k++) {
                cost -= removed[k] * specs[k].unit;
                d += removed[k] == 0 ? 0 : specs[k].damage[removed[k] - 1];
            }
            return cost <= budget ? d : Double.POSITIVE_INFINITY;
        }
        double best = Double.POSITIVE_INFINITY;
        for (int r = 0; r <= specs[i].damage.length; r++) {
            removed[i] = r;
            best = Math.min(best, bruteForce(specs, i + 1, removed, total, budget));
        }
        return best;
    }

    /** Any curves and costs: the plan meets the budget, lands in the window when single channels are fine enough. */
    @Property(tries = 150)
    void thePlanMeetsTheBudget(@ForAll @IntRange(min = 1, max = 6) int layers,
                               @ForAll @DoubleRange(min = 0.2, max = 1.0) double keep,
                               @ForAll @IntRange(min = 1, max = 4) int multiple,
                               @ForAll long seed) {
        Random r = new Random(seed);
        Spec[] specs = new Spec[layers];
        long maxUnit = 0;
        for (int i = 0; i < layers; i++) {
            int c = 2 + r.nextInt(40);
            double[] d = new double[(int) Math.floor(0.9 * c)];
            for (int k = 0; k < d.length; k++) {
                d[k] = r.nextDouble();   // noisy, not monotone
            }
            long unit = 1 + r.nextInt(50);
            maxUnit = Math.max(maxUnit, unit);
            specs[i] = new Spec("L" + i, c, d, unit);
        }
        if (java.util.Arrays.stream(specs).allMatch(s -> s.damage.length == 0)) {
            return;
        }
        SensitivityTable t = table(r.nextInt(2000), specs);
        BudgetTarget target = BudgetTarget.macs(keep).withChannelMultiple(multiple);
        long budget = (long) Math.floor(keep * t.totalMacs() + 1e-9 * t.totalMacs());
        BudgetPlan p;
        try {
            p = solve(t, target);
        } catch (IllegalArgumentException e) {
            // only when even the most pruning allowed stays above the budget
            long least = t.totalMacs();
            for (Spec s : specs) {
                int lo = Math.max(1, s.channels - s.damage.length);
                int k = s.channels;
                for (int m = s.channels - 1; m >= lo; m--) {
                    if (m % multiple == 0) {
                        k = m;
                    }
                }
                least -= (long) (s.channels - k) * s.unit;
            }
            assertThat(least).isGreaterThan(budget);
            return;
        }
        assertThat(p.cost()).isLessThanOrEqualTo(budget);
        assertEquals(CostModel.additive(t, BudgetTarget.Resource.MACS, t.layers()).cost(
                p.choices().stream().mapToInt(BudgetPlan.Choice::keep).toArray()), p.cost());
        for (BudgetPlan.Choice c : p.choices()) {
            assertTrue(c.keep() == c.channels() || c.keep() % multiple == 0, c.toString());
        }
        if (multiple == 1 && maxUnit <= target.tolerance() * budget) {
            assertTrue(p.withinTolerance(), p.summary());
        }
    }
}
