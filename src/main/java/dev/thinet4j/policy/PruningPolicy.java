package dev.thinet4j.policy;

import dev.thinet4j.model.Network;

import java.util.List;

/**
 * Decides <em>which</em> convs are pruned and at what ratio — never touches weights. Users may plug
 * in their own.
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
}
