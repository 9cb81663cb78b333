package dev.thinet4j.selection;

/**
 * Network slimming (Liu et al. 2017): removes the channels whose batch-normalisation scale has the
 * smallest magnitude.
 *
 * <p>Score s<sub>c</sub> = |γ<sub>c</sub>|; the {@code numRemove} smallest are removed, ties removing the lower
 * index first. {@link Selection#removed()} is ascending, scores hold s, the objective is NaN.
 */
public final class BnGammaCriterion implements ChannelCriterion {

    @Override
    public Selection select(SelectionContext ctx, int numRemove) {
        return selectBalanced(ctx, numRemove, 1);
    }

    /** The same ranking, restricted to removing numRemove / blocks of the smallest-ranked channels of each block. */
    @Override
    public Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        double[] gamma = ctx.requireBnGamma(name());
        ChannelCriterion.checkNumRemove(ctx, numRemove, blocks);
        double[] s = new double[gamma.length];
        for (int i = 0; i < s.length; i++) {
            s[i] = Math.abs(gamma[i]);
        }
        return Selection.ofRemoved(ctx.channels(), Ranking.smallest(s, numRemove, blocks), s, Double.NaN);
    }

    @Override
    public String name() {
        return "bn-gamma";
    }
}
