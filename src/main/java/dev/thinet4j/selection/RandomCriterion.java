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
        return selectBalanced(ctx, numRemove, 1);
    }

    /**
     * With B &gt; 1 blocks: a uniformly random balanced subset, the blocks' draws made in turn (block 0 first) from one
     * generator seeded with {@code ctx.seed()}, each a partial Fisher–Yates shuffle of its C/B channels.
     */
    @Override
    public Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        ChannelCriterion.checkNumRemove(ctx, numRemove, blocks);
        if (blocks > 1) {
            int size = ctx.channels() / blocks;
            int quota = numRemove / blocks;
            SplittableRandom rnd = new SplittableRandom(ctx.seed());
            int[] removed = new int[numRemove];
            for (int b = 0; b < blocks; b++) {
                int[] perm = new int[size];
                for (int i = 0; i < size; i++) {
                    perm[i] = b * size + i;
                }
                for (int i = 0; i < quota; i++) {
                    int j = i + rnd.nextInt(size - i);
                    int t = perm[i];
                    perm[i] = perm[j];
                    perm[j] = t;
                }
                System.arraycopy(perm, 0, removed, b * quota, quota);
            }
            Arrays.sort(removed);
            return Selection.ofRemoved(ctx.channels(), removed, null, Double.NaN);
        }
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
