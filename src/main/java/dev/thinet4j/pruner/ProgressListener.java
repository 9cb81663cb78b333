package dev.thinet4j.pruner;

import dev.thinet4j.report.LayerReport;

/** Progress of a pruning run, layer by layer. Implementations must be quick; they run on the pruning thread. */
public interface ProgressListener {
    /** Called before layer {@code index} (1-based) of {@code total} is pruned. */
    default void layerStarted(int index, int total, String layer) {
    }

    /** Called after layer {@code index} of {@code total} was pruned (and fine-tuned). */
    default void layerFinished(int index, int total, LayerReport report) {
    }

    /** A listener that does nothing. */
    ProgressListener NONE = new ProgressListener() {
    };
}
