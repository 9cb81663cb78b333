package dev.thinet4j.budget;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.policy.PruningPolicy;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Thinning;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.stream.IntStream;

/**
 * Entry points of budgeted pruning: measure per-layer sensitivity ({@link SensitivityAnalysis}), then choose the
 * per-layer ratios that meet a {@link BudgetTarget} with the least predicted damage ({@link BudgetSolver}, with the
 * exact {@link ChannelCostModel}), and check the result on the really thinned architecture.
 *
 * <pre>{@code
 * DataSplit split = DataSplit.of(data, labels, config.images(), 500, config.seed());
 * BudgetPlan plan = Budget.policyFor(net, split.calibration(), split.evaluation(), split.evaluationLabels(),
 *         BudgetTarget.macs(0.5), config);
 * PruningResult r = new ThiNetPruner(config).prune(net, plan, split.calibration());
 * }</pre>
 */
public final class Budget {
    private static final Logger LOG = LoggerFactory.getLogger(Budget.class);

    private Budget() {
    }

    /**
     * A policy meeting {@code target}, over the candidates of {@link Policies#uniform} (every prunable conv, one per
     * coupled group) and the default ratio grid.
     *
     * @see #policyFor(Network, PruningPolicy, ImageSource, ImageSource, int[], BudgetTarget, PrunerConfig, double[])
     */
    public static BudgetPlan policyFor(Network net, ImageSource calibration, ImageSource evaluation, int[] labels,
                                       BudgetTarget target, PrunerConfig config) {
        return policyFor(net, Policies.uniform(0.5), calibration, evaluation, labels, target, config,
                SensitivityAnalysis.DEFAULT_RATIOS);
    }

    /**
     * A policy meeting {@code target}: a sensitivity analysis of the candidates' layers, then {@link #solve}.
     *
     * @param net         the trained network. Not modified.
     * @param candidates  the layers that may be pruned: those {@code candidates.plan(net)} lists (ratios ignored)
     * @param calibration images for the pruner's sampling
     * @param evaluation  held-out images for the damage (disjoint from the calibration images, ideally)
     * @param labels      labels of the held-out images, or null (logit error; or the batches' own labels)
     * @param target      the budget
     * @param config      criterion, reconstruction, images, points, seed — use the same for the pruning run
     * @param ratios      the sensitivity grid, each in (0, 1)
     * @return per-layer ratios, usable by {@link dev.thinet4j.pruner.ThiNetPruner#prune}
     * @throws IllegalArgumentException when the budget cannot be met or the data does not fit
     */
    public static BudgetPlan policyFor(Network net, PruningPolicy candidates, ImageSource calibration,
                                       ImageSource evaluation, int[] labels, BudgetTarget target, PrunerConfig config,
                                       double[] ratios) {
        SensitivityTable table = new SensitivityAnalysis(config, ratios, SensitivityAnalysis.Listener.NONE)
                .run(net, candidates, calibration, evaluation, labels);
        return solve(net, table, target);
    }

    /**
     * Solves a budget on a sensitivity table of {@code net} with the exact cost model and the squared logit error
     * as damage ({@link Damage#SQUARED_LOGIT_ERROR}), and verifies the result by thinning the architecture and
     * measuring it with {@link ModelSize}.
     *
     * @param net    the network the table was measured on. Not modified.
     * @param table  its sensitivity table
     * @param target the budget
     * @throws IllegalArgumentException when the budget cannot be met, or the table does not fit the network
     */
    public static BudgetPlan solve(Network net, SensitivityTable table, BudgetTarget target) {
        return solve(net, table, target, Damage.SQUARED_LOGIT_ERROR);
    }

    /**
     * {@link #solve(Network, SensitivityTable, BudgetTarget)} with another notion of a layer's predicted damage.
     *
     * @param damage what the solver adds up per layer
     */
    public static BudgetPlan solve(Network net, SensitivityTable table, BudgetTarget target, Damage damage) {
        List<String> layers = table.layers();
        ChannelCostModel model;
        try {
            model = ChannelCostModel.of(net, layers);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("sensitivity table does not fit '" + net.name() + "': "
                    + e.getMessage(), e);
        }
        for (int i = 0; i < layers.size(); i++) {
            int tableChannels = table.rows(layers.get(i)).get(0).channels();
            if (tableChannels != model.channels(i)) {
                throw new IllegalArgumentException("sensitivity table has " + tableChannels + " channels for '"
                        + layers.get(i) + "' but '" + net.name() + "' has " + model.channels(i));
            }
        }
        int[] blocks = new int[layers.size()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = model.blocks(i);
        }
        BudgetPlan plan = BudgetSolver.solve(table, layers, target, model.model(target.resource()), damage, blocks);
        long measured = measure(net, plan, target.resource());
        if (measured != plan.cost()) {
            throw new IllegalStateException("cost model predicted " + plan.cost() + " " + target.resource().id()
                    + " but the thinned architecture has " + measured);
        }
        LOG.debug("budget plan verified on the thinned architecture: {} {}", measured, target.resource().id());
        return plan;
    }

    /**
     * {@code net} thinned to the plan's channel counts, keeping the first channels of each group (of each block, for a
     * group with {@link ChannelGroup#blocks()} B &gt; 1, after rounding the removal down to a multiple of B as the pruner
     * does): the architecture
     * the pruner will produce (same shapes, sizes and run time), but not its weights — which channels a criterion
     * keeps and how the next layer is refitted do not change the shapes. Used to count the cost of a plan and to time
     * it ({@link LatencySearch}) without pruning.
     *
     * @param net  the network the plan was made for. Not modified.
     * @param plan per-layer channel counts
     * @return the thinned network (the input itself when the plan prunes nothing)
     */
    public static Network architecture(Network net, BudgetPlan plan) {
        Network current = net;
        for (BudgetPlan.Choice c : plan.choices()) {
            if (c.keep() < c.channels()) {
                ChannelGroup group = new DependencyGraph(current).groupOf(c.layer());
                int keep = group.channels() - group.balancedRemoval(group.channels() - c.keep());
                int perBlock = keep / group.blocks();
                int size = group.blockSize();
                current = Thinning.keep(current, group, IntStream.range(0, keep)
                        .map(i -> i / perBlock * size + i % perBlock).toArray());
            }
        }
        return current;
    }

    /**
     * The MACs or parameters of {@code net} thinned to the plan's channel counts (keeping the first channels of
     * each group — the architecture only; which channels a criterion keeps does not change the size).
     */
    public static long measure(Network net, BudgetPlan plan, BudgetTarget.Resource resource) {
        ModelSize size = ModelSize.of(architecture(net, plan));
        return resource == BudgetTarget.Resource.MACS ? size.totalMacs() : size.totalParams();
    }
}
