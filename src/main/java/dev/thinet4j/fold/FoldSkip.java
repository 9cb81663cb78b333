package dev.thinet4j.fold;

import java.util.Objects;

/**
 * A pattern {@link Folding} found but left alone, because rewriting it would not be exact or (without
 * {@link FoldOptions#allowMoreMacs()}) would cost more MACs.
 *
 * @param node   the node the pattern ends at (the BatchNorm, the second conv, the Add, the pool)
 * @param reason one line saying why
 */
public record FoldSkip(String node, String reason) {
    public FoldSkip {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(reason, "reason");
    }

    @Override
    public String toString() {
        return "kept " + node + ": " + reason;
    }
}
