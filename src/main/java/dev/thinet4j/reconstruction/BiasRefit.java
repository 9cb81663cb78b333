package dev.thinet4j.reconstruction;

/** Whether a full reconstruction also refits the consumer's bias. */
public enum BiasRefit {
    /** The bias stays as it is; only the weights are refitted. */
    KEEP,
    /**
     * An intercept δ (not ridge-penalised) is fitted together with the weights and added to the bias
     * (a consumer without bias gets bias δ), so the bias absorbs the mean contribution of the removed
     * channels.
     */
    REFIT
}
