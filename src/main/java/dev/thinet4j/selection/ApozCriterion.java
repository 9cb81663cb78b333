package dev.thinet4j.selection;

/**
 * Average Percentage of Zeros (Hu et al. 2016, "Network Trimming"): removes the channels whose
 * activations are most often zero.
 *
 * <p>Score s<sub>c</sub> = {@link SelectionContext#zeroFraction()}[c]; the {@code numRemove} highest scores
 * are removed, ties removing the lower index first. {@link Selection#removed()} is ascending, scores hold s,
 * the objective is NaN.
 */
public final class ApozCriterion implements ChannelCriterion {

    @Override
    public Selection select(SelectionContext ctx, int numRemove) {
        return selectBalanced(ctx, numRemove, 1);
    }

    /** The same ranking, restricted to removing numRemove / blocks of the smallest-ranked channels of each block. */
    @Override
    public Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        double[] apoz = ctx.requireZeroFraction(name());
        ChannelCriterion.checkNumRemove(ctx, numRemove, blocks);
        double[] neg = new double[apoz.length];
        for (int i = 0; i < apoz.length; i++) {
            neg[i] = -apoz[i];
        }
        return Selection.ofRemoved(ctx.channels(), Ranking.smallest(neg, numRemove, blocks), apoz, Double.NaN);
    }

    @Override
    public String name() {
        return "apoz";
    }
}
