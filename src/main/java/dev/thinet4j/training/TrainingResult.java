package dev.thinet4j.training;

import dev.thinet4j.model.Network;

import java.util.List;

/**
 * Outcome of a {@link Trainer} run.
 *
 * @param network      the trained network (the best epoch's weights when early stopping restored them)
 * @param epochs       per-epoch statistics, in order
 * @param iterations   iterations run
 * @param stoppedEarly whether early stopping ended the run
 * @param bestEpoch    1-based epoch of the best validation accuracy, 0 without validation data
 */
public record TrainingResult(Network network, List<EpochStats> epochs, long iterations, boolean stoppedEarly,
                             int bestEpoch) {
    public TrainingResult {
        epochs = List.copyOf(epochs);
    }

    /** The last epoch's statistics. */
    public EpochStats last() {
        if (epochs.isEmpty()) {
            throw new IllegalStateException("the run has no epochs");
        }
        return epochs.get(epochs.size() - 1);
    }
}
