package dev.thinet4j.fold;

import java.util.List;
import java.util.Objects;

/**
 * One rewrite made by {@link Folding}.
 *
 * @param kind        what was rewritten
 * @param replaced    names of the nodes that were removed or replaced, in graph order
 * @param result      name of the node that now computes their function
 * @param description one line, e.g. {@code "folded bn1 into conv1"}
 */
public record FoldChange(Kind kind, List<String> replaced, String result, String description) {
    public FoldChange {
        Objects.requireNonNull(kind, "kind");
        replaced = List.copyOf(replaced);
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(description, "description");
    }

    /** The kinds of rewrite. */
    public enum Kind {
        /** Conv followed by BatchNorm → conv. */
        BN_INTO_CONV,
        /** Linear followed by BatchNorm → linear. */
        BN_INTO_LINEAR,
        /** Parallel convs (and identity / BN shortcuts) on one tensor, added → one conv. */
        ADD_BRANCHES,
        /** Convs on one tensor, concatenated → one conv with stacked filters. */
        CONCAT_BRANCHES,
        /** Two convs in sequence, one of them 1×1 → one conv. */
        SEQUENTIAL,
        /** Average pool → conv. */
        AVGPOOL_TO_CONV
    }

    @Override
    public String toString() {
        return description;
    }
}
