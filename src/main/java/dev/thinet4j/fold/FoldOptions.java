package dev.thinet4j.fold;

/**
 * Which optional rewrites {@link Folding#foldAll(dev.thinet4j.model.Network, FoldOptions)} applies.
 * Every rewrite is exact either way; these options only decide about rewrites that can cost more
 * multiply-accumulates than the layers they replace.
 *
 * @param avgPoolToConv turn every exact average pool into a conv (depthwise, or dense with the groups of
 *                      a parallel conv it can then merge with). Adds MACs unless the pool is merged.
 * @param allowMoreMacs also apply a branch merge or a sequential composition whose result has more MACs
 *                      than the convs it replaces (e.g. a bottleneck 1×1 before a 3×3, or parallel 1×3
 *                      and 3×1 convs without a 3×3), and fold a BatchNorm into a copy of its conv when the
 *                      conv's output has other readers
 */
public record FoldOptions(boolean avgPoolToConv, boolean allowMoreMacs) {
    /** Every exact rewrite that never adds MACs; average pools left alone. */
    public static FoldOptions defaults() {
        return new FoldOptions(false, false);
    }

    public FoldOptions withAvgPoolToConv(boolean value) {
        return new FoldOptions(value, allowMoreMacs);
    }

    public FoldOptions withAllowMoreMacs(boolean value) {
        return new FoldOptions(avgPoolToConv, value);
    }
}
