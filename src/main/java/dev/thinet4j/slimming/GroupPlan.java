package dev.thinet4j.slimming;

import dev.thinet4j.surgery.ChannelGroup;

import java.util.List;

/**
 * The selection for one coupled channel group.
 *
 * @param group           the group in the network the plan was made for
 * @param producerNorms   the BNs directly after the group's producing convs (one per producer)
 * @param depthwiseNorms  the BNs directly after depthwise convs the channels pass through
 * @param kept            group channel indices kept, ascending, never empty
 * @param removed         group channel indices removed, ascending
 */
public record GroupPlan(ChannelGroup group, List<String> producerNorms, List<String> depthwiseNorms,
                        List<Integer> kept, List<Integer> removed) {
    public GroupPlan {
        producerNorms = List.copyOf(producerNorms);
        depthwiseNorms = List.copyOf(depthwiseNorms);
        kept = List.copyOf(kept);
        removed = List.copyOf(removed);
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("group " + group.describe() + " must keep at least one channel");
        }
        if (kept.size() + removed.size() != group.channels()) {
            throw new IllegalArgumentException("group " + group.describe() + " has " + group.channels()
                    + " channels but the plan keeps " + kept.size() + " and removes " + removed.size());
        }
    }

    /** Removed channels as an array. */
    public int[] removedArray() {
        return removed.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Kept channels as an array. */
    public int[] keptArray() {
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }
}
