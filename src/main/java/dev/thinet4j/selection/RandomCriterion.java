package dev.thinet4j.selection;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random baseline: removes a uniformly random subset of {@code numRemove} channels, drawn from
 * {@code new SplittableRandom(ctx.seed())} by a partial Fisher–Yates shuffle. The same seed gives the same
 * set; deriving distinct seeds for distinct layers is up to the caller. {@link Selection#removed()} is
 * ascending, scores are null, the objective is NaN.
 */
public final class RandomCriterion implements ChannelCriterion {

    @Override
    public Selection select(SelectionContext ctx, int numRemove) {
        ChannelCriterion.checkNumRemove(ctx, numRemove);
        int c = ctx.channels();
        int[] perm = new int[c];
        for (int i = 0; i < c; i++) {
            perm[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(ctx.seed());
        for (int i = 0; i < numRemove; i++) {
            int j = i + rnd.nextInt(c - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] removed = Arrays.copyOf(perm, numRemove);
        Arrays.sort(removed);
        return Selection.ofRemoved(c, removed, null, Double.NaN);
    }

    @Override
    public String name() {
        return "random";
    }
}
