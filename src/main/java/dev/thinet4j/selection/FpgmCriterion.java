package dev.thinet4j.selection;

import dev.thinet4j.model.Tensor;

/**
 * Filter pruning via geometric median (FPGM; He, Liu, Wang, Hu, Yang — CVPR 2019): removes the filters that are
 * closest to the geometric median of the layer's filters, i.e. the most replaceable ones, whatever their norm.
 *
 * <p>With W<sub>c</sub> ∈ ℝ<sup>D</sup> the filter of output channel c (slice c of axis 0 of the pruned conv's
 * weight, D = C<sub>in</sub>·k<sub>h</sub>·k<sub>w</sub>), the score is the sum of Euclidean distances to every
 * other filter of the layer,
 * <pre>
 *   s<sub>c</sub> = Σ<sub>j≠c</sub> ‖W<sub>c</sub> − W<sub>j</sub>‖<sub>2</sub>,
 * </pre>
 * the paper's approximation of the geometric median (the point minimising Σ<sub>j</sub> ‖x − W<sub>j</sub>‖<sub>2</sub>) by the
 * filter minimising it. The {@code numRemove} smallest scores are removed, ties removing the lower index first.
 * Distances are computed from the differences (not from ‖a‖² + ‖b‖² − 2a·b, which cancels badly for close
 * filters), in double precision: O(C²·D) time, O(C) extra memory. {@link Selection#removed()} is ascending,
 * {@link Selection#scores()} holds s, the objective is NaN.
 */
public final class FpgmCriterion implements ChannelCriterion {

    @Override
    public Selection select(SelectionContext ctx, int numRemove) {
        return selectBalanced(ctx, numRemove, 1);
    }

    /** The same ranking, restricted to removing numRemove / blocks of the smallest-ranked channels of each block. */
    @Override
    public Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        Tensor w = ctx.requireFilters(name());
        ChannelCriterion.checkNumRemove(ctx, numRemove, blocks);
        double[] scores = scores(w);
        for (int i = 0; i < scores.length; i++) {
            if (!Double.isFinite(scores[i])) {
                throw new IllegalArgumentException("filter " + i + " of layer '" + ctx.layer()
                        + "' has a non-finite distance sum (" + scores[i] + "); its weights are not finite");
            }
        }
        return Selection.ofRemoved(ctx.channels(), Ranking.smallest(scores, numRemove, blocks), scores, Double.NaN);
    }

    /**
     * Per-filter sums of Euclidean distances s<sub>c</sub> = Σ<sub>j≠c</sub> ‖W<sub>c</sub> − W<sub>j</sub>‖<sub>2</sub> over the
     * slices of axis 0.
     *
     * @param filters weights [C, …]. Not modified.
     * @return C scores (0 for a single filter)
     */
    public static double[] scores(Tensor filters) {
        int c = filters.dim(0);
        int per = c == 0 ? 0 : filters.size() / c;
        float[] w = filters.data();
        double[] s = new double[c];
        for (int a = 0; a < c; a++) {
            int ba = a * per;
            for (int b = a + 1; b < c; b++) {
                int bb = b * per;
                double sq = 0;
                for (int i = 0; i < per; i++) {
                    double d = (double) w[ba + i] - w[bb + i];
                    sq += d * d;
                }
                double dist = Math.sqrt(sq);
                s[a] += dist;
                s[b] += dist;
            }
        }
        return s;
    }

    @Override
    public String name() {
        return "fpgm";
    }
}
