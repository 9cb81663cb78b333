package dev.thinet4j.slimming;

import java.util.List;

/**
 * What slimming did to one coupled channel group.
 *
 * @param producers      the convs whose filters are the group's channels (several = joined by Add)
 * @param batchNorms     the scored BNs (after the producers, then after depthwise convs)
 * @param channelsBefore channels of the group before slimming
 * @param kept           original channel indices kept, ascending
 * @param absorptions    the consumers that took in the removed channels' constants (empty without absorption)
 */
public record LayerChange(List<String> producers, List<String> batchNorms, int channelsBefore, List<Integer> kept,
                          List<Absorption> absorptions) {
    public LayerChange {
        producers = List.copyOf(producers);
        batchNorms = List.copyOf(batchNorms);
        kept = List.copyOf(kept);
        absorptions = List.copyOf(absorptions);
    }

    public int channelsAfter() {
        return kept.size();
    }

    /** True when every absorption is exact everywhere (vacuously true when nothing was absorbed). */
    public boolean exact() {
        return absorptions.stream().allMatch(Absorption::exact);
    }
}
