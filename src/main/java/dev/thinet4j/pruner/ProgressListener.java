package dev.thinet4j.pruner;

import dev.thinet4j.report.LayerReport;

/** Progress of a pruning run, layer by layer. Implementations must be quick; they run on the pruning thread. */
public interface ProgressListener {
    /**
     * Called before layer {@code index} (1-based) of {@code total} is pruned.
     *
     * @param index which step of the plan starts, from 1
     * @param total the number of steps in the plan
     * @param layer the conv whose output channels are cut
     */
    default void layerStarted(int index, int total, String layer) {
    }

    /**
     * Called after layer {@code index} of {@code total} was pruned (and fine-tuned).
     *
     * @param index  which step of the plan finished, from 1
     * @param total  the number of steps in the plan
     * @param report what the step did
     */
    default void layerFinished(int index, int total, LayerReport report) {
    }

    /** A listener that does nothing. */
    ProgressListener NONE = new ProgressListener() {
    };
}
