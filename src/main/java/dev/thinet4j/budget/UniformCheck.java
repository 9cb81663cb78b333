package dev.thinet4j.budget;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.eval.Evaluation;
import dev.thinet4j.model.Network;
import dev.thinet4j.pruner.FineTuner;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.ThiNetPruner;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks a solved budget plan against the plain alternative: one ratio for all of the plan's layers, as large as
 * the budget needs. Both plans are pruned for real (no fine-tuning) and measured on held-out images; the better one
 * is used.
 *
 * <p>Why: the solver adds the layers' damages measured one layer at a time, as if they were independent. When the
 * layers interact (two convs of one residual block, for example), a plan that prunes a few layers far past the
 * others can do worse than spreading the cut evenly. The check costs two pruning runs and two evaluations.
 *
 * <p>Score: top-1 accuracy on the held-out images when labels are given (higher is better), otherwise the relative
 * squared error of the network output against the unpruned network, Σ(z − z₀)² / Σ z₀² (lower is better).
 */
public final class UniformCheck {
    private static final Logger LOG = LoggerFactory.getLogger(UniformCheck.class);
    /** Bisection steps over the uniform ratio (2⁻²⁴ of resolution: far below one channel). */
    private static final int BISECTION_STEPS = 24;

    /**
     * The outcome.
     *
     * @param chosen       the plan to prune with: {@code solved} or {@code uniform}
     * @param solved       the solver's plan
     * @param uniform      one ratio for every layer of the solved plan, meeting its target; null when no single
     *                     ratio does (then {@code chosen} is {@code solved})
     * @param uniformRatio that ratio (NaN when {@code uniform} is null)
     * @param solvedScore  the solved plan's score
     * @param uniformScore the uniform plan's score (NaN when not measured)
     * @param accuracy     whether the scores are top-1 accuracies (else relative output errors)
     */
    public record Result(BudgetPlan chosen, BudgetPlan solved, BudgetPlan uniform, double uniformRatio,
                         double solvedScore, double uniformScore, boolean accuracy) {
        /** Whether the uniform plan was chosen. */
        public boolean uniformChosen() {
            return chosen == uniform && uniform != null;
        }

        /** One line for a log or a terminal. */
        public String describe() {
            String metric = accuracy ? "top-1" : "output error";
            if (uniform == null) {
                return String.format(java.util.Locale.ROOT, "budget check: no single ratio meets the target; solver's"
                        + " plan kept (%s %.4f)", metric, solvedScore);
            }
            return String.format(java.util.Locale.ROOT, "budget check on held-out images: solver's plan %s %.4f"
                            + " (kept %.4f), uniform ratio %.4f %s %.4f (kept %.4f): using the %s", metric, solvedScore,
                    solved.keptFraction(), uniformRatio, metric, uniformScore, uniform.keptFraction(),
                    uniformChosen() ? "uniform plan" : "solver's plan");
        }
    }

    private UniformCheck() {
    }

    /**
     * One ratio r for all of {@code like}'s layers — each keeps C − ⌊C·r⌋ channels (at least the target's minimum)
     * — the smallest r (to 2⁻²⁴) whose thinned architecture meets {@code like.target()}.
     *
     * @param net  the network {@code like} was solved for. Not modified.
     * @param like the solved plan: its layers, target and baseline
     * @return the uniform plan, or null when even the largest ratio does not meet the target
     */
    public static BudgetPlan uniformPlan(Network net, BudgetPlan like) {
        Objects.requireNonNull(like, "like");
        double limit = like.target().keep() * like.baselineCost();
        double lo = 0;
        double hi = 0.999;
        BudgetPlan best = plan(net, like, hi);
        if (best.cost() > limit) {
            return null;
        }
        for (int i = 0; i < BISECTION_STEPS; i++) {
            double mid = (lo + hi) / 2;
            BudgetPlan p = plan(net, like, mid);
            if (p.cost() <= limit) {
                hi = mid;
                best = p;
            } else {
                lo = mid;
            }
        }
        return best;
    }

    /** The ratio of a uniform plan (its first pruned layer's; NaN when it prunes nothing). */
    static double ratioOf(BudgetPlan uniform) {
        for (BudgetPlan.Choice c : uniform.choices()) {
            if (c.keep() < c.channels()) {
                return c.ratio();
            }
        }
        return Double.NaN;
    }

    private static BudgetPlan plan(Network net, BudgetPlan like, double r) {
        List<BudgetPlan.Choice> choices = new ArrayList<>();
        for (BudgetPlan.Choice c : like.choices()) {
            int keep = c.channels() - (int) Math.floor(c.channels() * r);
            keep = Math.min(c.channels(), Math.max(keep, Math.max(1, like.target().minChannels())));
            choices.add(new BudgetPlan.Choice(c.layer(), c.channels(), keep, Double.NaN));
        }
        BudgetPlan draft = new BudgetPlan(like.target(), choices, like.baselineCost(), 0, Double.NaN, false);
        long cost = Budget.measure(net, draft, like.target().resource());
        double frac = like.baselineCost() == 0 ? 1 : (double) cost / like.baselineCost();
        boolean within = frac <= like.target().keep() && frac >= like.target().keep() * (1 - like.target().tolerance());
        return new BudgetPlan(like.target(), choices, like.baselineCost(), cost, Double.NaN, within);
    }

    /**
     * Prunes {@code net} with the solved plan and with the uniform plan meeting the same target (no fine-tuning),
     * scores both on {@code evaluation}, and returns the better.
     *
     * @param net         the trained network. Not modified.
     * @param solved      the solver's plan for {@code net}
     * @param calibration the pruner's images (as for the real run)
     * @param evaluation  held-out images
     * @param labels      their labels, or null for the output error against {@code net}
     * @param config      the pruner's configuration (as for the real run)
     */
    public static Result check(Network net, BudgetPlan solved, ImageSource calibration, ImageSource evaluation,
                               int[] labels, PrunerConfig config) {
        BudgetPlan uniform = uniformPlan(net, solved);
        boolean accuracy = labels != null;
        double solvedScore = score(net, prune(net, solved, calibration, config), evaluation, labels, config);
        if (uniform == null) {
            return new Result(solved, solved, null, Double.NaN, solvedScore, Double.NaN, accuracy);
        }
        double uniformScore = score(net, prune(net, uniform, calibration, config), evaluation, labels, config);
        boolean uniformBetter = accuracy ? uniformScore > solvedScore : uniformScore < solvedScore;
        Result r = new Result(uniformBetter ? uniform : solved, solved, uniform, ratioOf(uniform), solvedScore,
                uniformScore, accuracy);
        LOG.debug(r.describe());
        return r;
    }

    private static Network prune(Network net, BudgetPlan plan, ImageSource calibration, PrunerConfig config) {
        return new ThiNetPruner(config, FineTuner.NONE, dev.thinet4j.pruner.ProgressListener.NONE)
                .prune(net, plan, calibration).network();
    }

    private static double score(Network original, Network pruned, ImageSource evaluation, int[] labels,
                                PrunerConfig config) {
        if (labels != null) {
            return Evaluation.accuracy(pruned, evaluation, labels, config.batchSize());
        }
        double err = 0;
        double energy = 0;
        try (InferenceEngine a = new InferenceEngine(original); InferenceEngine b = new InferenceEngine(pruned)) {
            for (Batch batch : evaluation.batches(config.batchSize())) {
                try (INDArray x = batch.toINDArray()) {
                    float[] z0 = SensitivityAnalysis.floats(a.forward(x));
                    err += SensitivityAnalysis.squaredError(SensitivityAnalysis.floats(b.forward(x)), z0);
                    energy += SensitivityAnalysis.squaredError(z0, new float[z0.length]);
                }
            }
        }
        return energy == 0 ? err : err / energy;
    }
}
