package dev.thinet4j.selection;

/**
 * A rule that chooses which output channels of a layer to remove. Implement this to plug in a
 * criterion of your own; the built-in ones are listed in {@link Criterion}.
 *
 * <p>Implementations must be deterministic given the context (random ones draw only from
 * {@link SelectionContext#seed()}) and must not modify anything reachable from the context.
 */
public interface ChannelCriterion {

    /**
     * Chooses {@code numRemove} channels to remove.
     *
     * @param ctx       the layer's statistics. Not modified.
     * @param numRemove how many channels to remove, in [0, ctx.channels() − 1]
     * @return the kept and removed channels, which together are exactly 0 … C−1
     * @throws IllegalArgumentException when the context lacks an input the criterion needs, or
     *                                  numRemove is out of range
     */
    Selection select(SelectionContext ctx, int numRemove);

    /**
     * Chooses {@code numRemove} channels to remove with the same number, numRemove / B, from each of B = {@code blocks}
     * contiguous blocks of C/B channels (block of channel c = ⌊c / (C/B)⌋) — the constraint of a group that passes
     * through grouped convs. With B = 1 this is {@link #select}.
     *
     * <p>The default asks {@link #select} for the largest removal, C − 1 channels, and reads it as a preference
     * order (the removed channels in the order reported, then the kept one), then takes, in that order, every
     * channel whose block has not yet given its quota. That fits criteria that report their removals in the order
     * chosen; the built-in criteria override it (ThiNet's greedy and forward selections run with the quota as a
     * constraint, score-based ones take the lowest-ranked channels of each block, random draws per block).
     *
     * @param ctx       the layer's statistics. Not modified.
     * @param numRemove how many channels to remove: a multiple of B in [0, C − B]
     * @param blocks    B ≥ 1, dividing C
     * @return the kept and removed channels, with numRemove / B removed in every block
     * @throws IllegalArgumentException when the context lacks an input the criterion needs, or numRemove or blocks
     *                                  is out of range
     */
    default Selection selectBalanced(SelectionContext ctx, int numRemove, int blocks) {
        checkNumRemove(ctx, numRemove, blocks);
        if (blocks == 1) {
            return select(ctx, numRemove);
        }
        int c = ctx.channels();
        Selection full = select(ctx, c - 1);
        int[] order = java.util.Arrays.copyOf(full.removed(), c);
        order[c - 1] = full.kept()[0];
        return Selection.ofRemoved(c, Balanced.fill(order, c, blocks, numRemove), full.scores(), Double.NaN);
    }

    /**
     * Checks a balanced removal: B ≥ 1 divides C, numRemove is a multiple of B, and 0 ≤ numRemove ≤ C − B (every
     * block keeps a channel). With B = 1 this is {@link #checkNumRemove(SelectionContext, int)}.
     *
     * @param ctx       the layer, for its channel count C and name
     * @param numRemove the number of channels to remove
     * @param blocks    B
     * @throws IllegalArgumentException naming the layer when a value is out of range
     */
    static void checkNumRemove(SelectionContext ctx, int numRemove, int blocks) {
        if (blocks == 1) {
            checkNumRemove(ctx, numRemove);
            return;
        }
        int c = ctx.channels();
        if (blocks < 1 || c % blocks != 0) {
            throw new IllegalArgumentException("layer '" + ctx.layer() + "' has " + c + " channels, which do not form "
                    + blocks + " equal blocks");
        }
        if (numRemove < 0 || numRemove % blocks != 0 || numRemove > c - blocks) {
            throw new IllegalArgumentException("cannot remove " + numRemove + " of " + c + " channels of layer '"
                    + ctx.layer() + "' alike from " + blocks + " blocks: must be a multiple of " + blocks + " in [0, "
                    + (c - blocks) + "]");
        }
    }

    /** @return the criterion's short name, e.g. {@code thinet} */
    String name();

    /**
     * Checks 0 ≤ numRemove ≤ C − 1.
     *
     * @param ctx       the layer, for its channel count C and name
     * @param numRemove the number of channels a criterion was asked to remove
     * @throws IllegalArgumentException naming the layer when numRemove is out of range
     */
    static void checkNumRemove(SelectionContext ctx, int numRemove) {
        if (numRemove < 0 || numRemove >= ctx.channels()) {
            throw new IllegalArgumentException("cannot remove " + numRemove + " of " + ctx.channels()
                    + " channels of layer '" + ctx.layer() + "': must be in [0, " + (ctx.channels() - 1) + "]");
        }
    }
}
