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
