package dev.thinet4j.policy;

import dev.thinet4j.head.GapHeadOptions;
import dev.thinet4j.model.Network;

import java.util.List;
import java.util.Optional;

/**
 * Decides <em>which</em> convs are pruned and at what ratio — never touches weights. Users may plug
 * in their own. A policy may also ask for the classifier head to be replaced by global average pooling
 * and one linear layer ({@link #gapHead()}, ThiNet-GAP); the pruner does that before planning.
 */
public interface PruningPolicy {
    /**
     * @param net the network to plan for. Not modified.
     * @return the layers to prune, in the order the pruner should visit them
     * @throws IllegalArgumentException when the policy does not apply to this network (with the reason)
     */
    List<LayerPlan> plan(Network net);

    /**
     * A short name for reports.
     *
     * @return e.g. {@code vgg} or {@code csv:ratios.csv}
     */
    String name();

    /**
     * Whether the pruner replaces the fully connected head by GlobalAveragePool → Linear before pruning
     * (see {@link dev.thinet4j.head.HeadReplacement}); {@link #plan} is then called on the network with the
     * new head.
     *
     * @return the head replacement's options, or empty (the default) to keep the head
     */
    default Optional<GapHeadOptions> gapHead() {
        return Optional.empty();
    }
}
