package dev.thinet4j.training;

/**
 * Progress of a {@link Trainer} run. Implementations must be quick; they run on the training thread.
 * Every method has an empty default.
 */
public interface TrainingListener {
    /**
     * After every iteration.
     *
     * @param epoch        1-based epoch
     * @param iteration    1-based iteration over the whole run
     * @param loss         the batch's mean loss
     * @param learningRate the rate the update used
     */
    default void iterationFinished(int epoch, long iteration, double loss, double learningRate) {
    }

    /** After every epoch (after validation, before early stopping is decided). */
    default void epochFinished(EpochStats stats) {
    }

    /** A listener that does nothing. */
    TrainingListener NONE = new TrainingListener() {
    };
}
