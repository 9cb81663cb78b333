package dev.thinet4j.budget;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Chooses per-layer channel counts that meet a {@link BudgetTarget} with the least predicted damage.
 *
 * <p><b>Predicted damage.</b> Layer i's damage after removing r of its C<sub>i</sub> channels, D<sub>i</sub>(r), is read from
 * the sensitivity table: the points (0, 0) and (removed, {@link Damage#of}) of its rows — by default the squared
 * relative logit error, see {@link Damage#SQUARED_LOGIT_ERROR} (the largest value where two ratios remove the same
 * count), made monotone by a running maximum (removing more never predicts
 * less damage; noise in a small held-out set can say otherwise), and linearly interpolated in between. No layer
 * is pruned past its largest measured removal. Layers are assumed independent: D = Σ<sub>i</sub> D<sub>i</sub>(r<sub>i</sub>).
 *
 * <p><b>Allowed counts.</b> Layer i may keep C<sub>i</sub> or any k with max(minChannels, C<sub>i</sub> − r<sub>max,i</sub>) ≤ k &lt; C<sub>i</sub>
 * that is a multiple of {@code channelMultiple}.
 *
 * <p><b>Greedy.</b> Starting from the unpruned network, with B = ⌊keep·cost<sub>0</sub>⌋: while cost &gt; B, among all moves
 * that lower one layer's count — to its next allowed count, or straight to a count where its damage curve bends
 * (a grid point, so a steep step followed by a flat stretch is still seen as cheap) — take the one with the least
 * damage increase per unit of cost saved, ΔD/Δcost; ties go to the smaller saving, then to the earlier layer. The
 * cost of every move comes from the {@link CostModel}, so with {@link ChannelCostModel} it is exact, including the
 * interaction of a layer with the one that reads its channels.
 *
 * <p><b>Refinement.</b> The last move may overshoot. Then (a) while some layer can take back one step of channels
 * without exceeding B, the step with the largest damage reduction is taken back (ties: the one ending closest to B);
 * (b) if the cost is still below (1 − tolerance)·B, the solver swaps — one step back on one layer, one step further
 * on another — taking the swap with the least damage change that raises the cost without exceeding B, and repeats
 * (a) and (b) until the cost is within tolerance or nothing moves. When the channel granularity does not allow
 * the window, {@link BudgetPlan#withinTolerance()} is false (and a warning is logged); the budget itself is always
 * met, or an exception says by how much it cannot be.
 */
public final class BudgetSolver {
    private static final Logger LOG = LoggerFactory.getLogger(BudgetSolver.class);
    private static final double EPS = 1e-12;

    private BudgetSolver() {
    }

    /** {@link #solve(SensitivityTable, List, BudgetTarget, CostModel, Damage)} over every layer of the table, squared logit error. */
    public static BudgetPlan solve(SensitivityTable table, BudgetTarget target, CostModel cost) {
        return solve(table, table.layers(), target, cost, Damage.SQUARED_LOGIT_ERROR);
    }

    /** {@link #solve(SensitivityTable, List, BudgetTarget, CostModel, Damage)} over every layer of the table. */
    public static BudgetPlan solve(SensitivityTable table, BudgetTarget target, CostModel cost, Damage damage) {
        return solve(table, table.layers(), target, cost, damage);
    }

    /**
     * @param table  per-layer sensitivity
     * @param layers the candidate layers (each with rows in the table), in the order {@code cost} expects
     * @param target the budget
     * @param cost   the resource use of a configuration (MACs or params, matching {@code target.resource()})
     * @param damage what a row's predicted damage is
     * @return the chosen counts; the cost never exceeds the budget
     * @throws IllegalArgumentException when even the most pruning allowed stays above the budget (saying how far it
     *                                  gets), or a layer has no rows
     */
    public static BudgetPlan solve(SensitivityTable table, List<String> layers, BudgetTarget target, CostModel cost,
                                   Damage damage) {
        return solve(table, layers, target, cost, damage, null);
    }

    /**
     * As {@link #solve(SensitivityTable, List, BudgetTarget, CostModel, Damage)}, where layer i may only remove a
     * multiple of {@code removalMultiples[i]} channels (the {@link dev.thinet4j.surgery.ChannelGroup#blocks()} of a
     * group that passes through grouped convs), in addition to the target's channel multiple.
     *
     * @param removalMultiples per layer, B<sub>i</sub> ≥ 1 (C<sub>i</sub> − k must be a multiple of it), or null for all 1.
     *                         Not modified.
     */
    public static BudgetPlan solve(SensitivityTable table, List<String> layers, BudgetTarget target, CostModel cost,
                                   Damage damage, int[] removalMultiples) {
        int n = layers.size();
        Layer[] ls = new Layer[n];
        for (int i = 0; i < n; i++) {
            ls[i] = Layer.of(table, layers.get(i), target, damage, removalMultiples == null ? 1 : removalMultiples[i]);
        }
        int[] pos = new int[n];
        long base = cost.cost(keeps(ls, pos));
        long budget = (long) Math.floor(target.keep() * base + 1e-9 * Math.max(1, base));
        long lower = (long) Math.ceil((1 - target.tolerance()) * budget);
        long cur = base;

        // greedy: least ΔD/Δcost until the budget is met
        while (cur > budget) {
            int bi = -1;
            int bj = -1;
            double bestScore = 0;
            long bestSave = 0;
            long bestCost = 0;
            for (int i = 0; i < n; i++) {
                for (int j : ls[i].movesFrom(pos[i])) {
                    long c = costWith(cost, ls, pos, i, j);
                    long save = cur - c;
                    if (save <= 0) {
                        continue;
                    }
                    double score = (ls[i].damageAt(j) - ls[i].damageAt(pos[i])) / save;
                    boolean better = bi < 0 || less(score, bestScore)
                            || (!less(bestScore, score) && save < bestSave);
                    if (better) {
                        bi = i;
                        bj = j;
                        bestScore = score;
                        bestSave = save;
                        bestCost = c;
                    }
                }
            }
            if (bi < 0) {
                throw new IllegalArgumentException(String.format(Locale.ROOT,
                        "cannot keep only %.4f of the %s: pruning every candidate layer as far as allowed (at least %d"
                                + " channels, multiples of %d, no further than the largest ratio measured) keeps %.4f",
                        target.keep(), target.resource().id(), target.minChannels(), target.channelMultiple(),
                        (double) cur / base));
            }
            pos[bi] = bj;
            cur = bestCost;
        }

        // refinement: give back what the overshoot allows, then swap towards the tolerance window
        for (int round = 0; round <= totalOptions(ls); round++) {
            cur = giveBack(ls, pos, cost, cur, budget);
            if (cur >= lower || !swap(ls, pos, cost, cur, budget)) {
                break;
            }
            cur = cost.cost(keeps(ls, pos));
        }
        cur = cost.cost(keeps(ls, pos));
        boolean within = cur >= lower && cur <= budget;
        if (!within) {
            LOG.warn("budget {}: the channel granularity allows {} of the {}, outside the {}% window below the target",
                    target.describe(), String.format(Locale.ROOT, "%.4f", (double) cur / base), target.resource().id(),
                    100 * target.tolerance());
        }
        List<BudgetPlan.Choice> choices = new ArrayList<>();
        double predicted = 0;
        for (int i = 0; i < n; i++) {
            double d = ls[i].damageAt(pos[i]);
            predicted += d;
            choices.add(new BudgetPlan.Choice(ls[i].name, ls[i].channels, ls[i].options[pos[i]], d));
        }
        BudgetPlan plan = new BudgetPlan(target, choices, base, cur, predicted, within);
        LOG.info("budget {}: kept {} of the {}, predicted {} damage {}", target.describe(),
                String.format(Locale.ROOT, "%.4f", plan.keptFraction()), target.resource().id(), damage.cliName(),
                String.format(Locale.ROOT, "%.4g", predicted));
        return plan;
    }

    /** Takes steps back while the budget allows; returns the new cost. */
    private static long giveBack(Layer[] ls, int[] pos, CostModel cost, long cur, long budget) {
        while (true) {
            int bi = -1;
            double bestGain = 0;
            long bestCost = 0;
            for (int i = 0; i < ls.length; i++) {
                if (pos[i] == 0) {
                    continue;
                }
                long c = costWith(cost, ls, pos, i, pos[i] - 1);
                if (c > budget) {
                    continue;
                }
                double gain = ls[i].damageAt(pos[i]) - ls[i].damageAt(pos[i] - 1);
                if (bi < 0 || less(bestGain, gain) || (!less(gain, bestGain) && c > bestCost)) {
                    bi = i;
                    bestGain = gain;
                    bestCost = c;
                }
            }
            if (bi < 0) {
                return cur;
            }
            pos[bi]--;
            cur = bestCost;
        }
    }

    /** One step back on one layer and one further on another, raising the cost within the budget; false if none. */
    private static boolean swap(Layer[] ls, int[] pos, CostModel cost, long cur, long budget) {
        int bi = -1;
        int bj = -1;
        double bestDelta = 0;
        long bestCost = 0;
        for (int i = 0; i < ls.length; i++) {
            if (pos[i] == 0) {
                continue;
            }
            for (int j = 0; j < ls.length; j++) {
                if (j == i || pos[j] + 1 >= ls[j].options.length) {
                    continue;
                }
                pos[i]--;
                pos[j]++;
                long c = cost.cost(keeps(ls, pos));
                pos[i]++;
                pos[j]--;
                if (c <= cur || c > budget) {
                    continue;
                }
                double delta = ls[j].damageAt(pos[j] + 1) - ls[j].damageAt(pos[j])
                        - (ls[i].damageAt(pos[i]) - ls[i].damageAt(pos[i] - 1));
                if (bi < 0 || less(delta, bestDelta) || (!less(bestDelta, delta) && c > bestCost)) {
                    bi = i;
                    bj = j;
                    bestDelta = delta;
                    bestCost = c;
                }
            }
        }
        if (bi < 0) {
            return false;
        }
        pos[bi]--;
        pos[bj]++;
        return true;
    }

    private static boolean less(double a, double b) {
        return a < b - EPS * Math.max(1.0, Math.max(Math.abs(a), Math.abs(b)));
    }

    private static int totalOptions(Layer[] ls) {
        int t = 0;
        for (Layer l : ls) {
            t += l.options.length;
        }
        return t;
    }

    private static long costWith(CostModel cost, Layer[] ls, int[] pos, int i, int j) {
        int old = pos[i];
        pos[i] = j;
        long c = cost.cost(keeps(ls, pos));
        pos[i] = old;
        return c;
    }

    private static int[] keeps(Layer[] ls, int[] pos) {
        int[] k = new int[ls.length];
        for (int i = 0; i < ls.length; i++) {
            k[i] = ls[i].options[pos[i]];
        }
        return k;
    }

    /** One layer: its allowed kept counts (descending, C first) and its damage curve. */
    private static final class Layer {
        final String name;
        final int channels;
        final int[] options;
        final double[] damage;   // per option
        final int[] stops;       // option indices where the damage curve bends

        private Layer(String name, int channels, int[] options, double[] damage, int[] stops) {
            this.name = name;
            this.channels = channels;
            this.options = options;
            this.damage = damage;
            this.stops = stops;
        }

        static Layer of(SensitivityTable table, String name, BudgetTarget target, Damage model, int removalMultiple) {
            List<SensitivityRow> rows = table.rows(name);
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("sensitivity table has no rows for layer '" + name + "'");
            }
            int c = rows.get(0).channels();
            TreeMap<Integer, Double> points = new TreeMap<>();
            points.put(0, 0.0);
            for (SensitivityRow r : rows) {
                double d = model.of(table, r);
                if (!Double.isFinite(d)) {
                    throw new IllegalArgumentException("layer '" + name + "' has a non-finite damage at ratio "
                            + r.ratio());
                }
                points.merge(r.removed(), d, Math::max);
            }
            int[] xs = points.keySet().stream().mapToInt(Integer::intValue).toArray();
            double[] ys = new double[xs.length];
            double run = Double.NEGATIVE_INFINITY;
            int p = 0;
            for (double v : points.values()) {
                run = Math.max(run, v);
                ys[p++] = run;
            }
            int maxRemoved = xs[xs.length - 1];
            int lo = Math.max(target.minChannels(), c - maxRemoved);
            List<Integer> opts = new ArrayList<>();
            opts.add(c);
            for (int k = c - 1; k >= lo; k--) {
                if (k % target.channelMultiple() == 0 && (c - k) % removalMultiple == 0) {
                    opts.add(k);
                }
            }
            int[] options = opts.stream().mapToInt(Integer::intValue).toArray();
            double[] damage = new double[options.length];
            for (int o = 0; o < options.length; o++) {
                damage[o] = interpolate(xs, ys, c - options[o]);
            }
            // a stop per grid point: the first option removing at least that many channels
            List<Integer> stops = new ArrayList<>();
            for (int x : xs) {
                for (int o = 0; o < options.length; o++) {
                    if (c - options[o] >= x) {
                        if (!stops.contains(o)) {
                            stops.add(o);
                        }
                        break;
                    }
                }
            }
            return new Layer(name, c, options, damage, stops.stream().mapToInt(Integer::intValue).sorted().toArray());
        }

        static double interpolate(int[] xs, double[] ys, int x) {
            for (int k = 1; k < xs.length; k++) {
                if (x <= xs[k]) {
                    double t = (double) (x - xs[k - 1]) / (xs[k] - xs[k - 1]);
                    return ys[k - 1] + t * (ys[k] - ys[k - 1]);
                }
            }
            return ys[ys.length - 1];
        }

        double damageAt(int option) {
            return damage[option];
        }

        /** The next option and every stop beyond it. */
        List<Integer> movesFrom(int pos) {
            List<Integer> m = new ArrayList<>();
            if (pos + 1 < options.length) {
                m.add(pos + 1);
            }
            for (int s : stops) {
                if (s > pos + 1) {
                    m.add(s);
                }
            }
            return m;
        }
    }
}
