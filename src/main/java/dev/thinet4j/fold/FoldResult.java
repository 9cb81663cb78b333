package dev.thinet4j.fold;

import dev.thinet4j.model.Network;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link Folding#foldAll}.
 *
 * @param network the rewritten network (the input network itself when nothing changed)
 * @param changes the rewrites made, in the order they were applied
 * @param skipped patterns left alone in the final network, with the reason
 */
public record FoldResult(Network network, List<FoldChange> changes, List<FoldSkip> skipped) {
    public FoldResult {
        Objects.requireNonNull(network, "network");
        changes = List.copyOf(changes);
        skipped = List.copyOf(skipped);
    }

    /** True when at least one rewrite was made. */
    public boolean changed() {
        return !changes.isEmpty();
    }
}
