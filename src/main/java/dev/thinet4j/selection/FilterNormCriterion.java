package dev.thinet4j.selection;

import dev.thinet4j.model.Tensor;

/**
 * Magnitude criterion of Li et al. (2017, "Pruning Filters for Efficient ConvNets"): removes the output
 * channels whose filters have the smallest norm.
 *
 * <p>Score of channel c over its filter W<sub>c</sub> (the slice c of axis 0 of the pruned layer's weight):
 * L1: s<sub>c</sub> = Σ |w|; L2: s<sub>c</sub> = √(Σ w²), summed in double precision. The {@code numRemove}
 * smallest scores are removed; ties remove the lower index first. {@link Selection#removed()} is ascending,
 * {@link Selection#scores()} holds s, the objective is NaN.
 */
public final class FilterNormCriterion implements ChannelCriterion {

    /** Which norm to score filters by. */
    public enum Norm {
        /** Sum of absolute values. */
        L1,
        /** Square root of the sum of squares. */
        L2
    }

    private final Norm norm;

    /**
     * @param norm the norm that scores each filter
     */
    public FilterNormCriterion(Norm norm) {
        this.norm = java.util.Objects.requireNonNull(norm, "norm");
    }

    @Override
    public Selection select(SelectionContext ctx, int numRemove) {
        return selectBalanced(ctx, numRemove, 1);
    }

    /** The same ranking, restricted to removing numRemove / blocks of the smallest-ranked channels of each block. */
    @Override
    public Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        Tensor w = ctx.requireFilters(name());
        ChannelCriterion.checkNumRemove(ctx, numRemove, blocks);
        double[] scores = scores(w, norm);
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException("filter " + i + " of layer '" + ctx.layer() + "' has a non-finite "
                        + name() + " norm (" + scores[i] + ")");
            }
        }
        return Selection.ofRemoved(ctx.channels(), Ranking.smallest(scores, numRemove, blocks), scores, Double.NaN);
    }

    /**
     * Per-filter norms: L1 s<sub>c</sub> = Σ|w|, L2 s<sub>c</sub> = √(Σ w²) over the slice c of axis 0.
     *
     * @param filters weights [C, …]. Not modified.
     * @param norm    which norm
     * @return C scores
     */
    public static double[] scores(Tensor filters, Norm norm) {
        int c = filters.dim(0);
        int per = c == 0 ? 0 : filters.size() / c;
        double[] s = new double[c];
        for (int ch = 0; ch < c; ch++) {
            double acc = 0;
            for (int i = ch * per; i < (ch + 1) * per; i++) {
                double v = filters.get(i);
                acc += norm == Norm.L1 ? Math.abs(v) : v * v;
            }
            s[ch] = norm == Norm.L1 ? acc : Math.sqrt(acc);
        }
        return s;
    }

    @Override
    public String name() {
        return norm == Norm.L1 ? "l1" : "l2";
    }
}
