package dev.thinet4j.slimming;

import java.util.List;

/**
 * What {@link NetworkSlimming#plan} selected; changes nothing by itself.
 *
 * @param threshold   the global |γ| threshold t (channels with |γ| &lt; t are removable); NaN when no group is slimmable
 * @param scoredCount how many |γ| values were pooled to find t
 * @param groups      one plan per slimmable group, in the topological order of the first producer
 * @param skipped     one line per group that cannot be slimmed, with the reason
 */
public record SlimmingPlan(double threshold, int scoredCount, List<GroupPlan> groups, List<String> skipped) {
    public SlimmingPlan {
        groups = List.copyOf(groups);
        skipped = List.copyOf(skipped);
    }

    /** Channels removed over all groups. */
    public int removedChannels() {
        return groups.stream().mapToInt(g -> g.removed().size()).sum();
    }
}
