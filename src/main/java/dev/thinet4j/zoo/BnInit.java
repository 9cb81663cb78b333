package dev.thinet4j.zoo;

/** How the batch-normalisation layers of a zoo network are initialised. */
public enum BnInit {
    /** γ = 1, β = 0, running mean 0, running variance 1: a freshly constructed PyTorch BN (identity at inference up to ε). */
    IDENTITY,
    /**
     * Random but well-conditioned statistics, so that folding or pruning a BN is not a no-op:
     * γ ~ U[0.5, 1.5], β ~ U[−0.1, 0.1], running mean ~ U[−0.1, 0.1], running variance ~ U[0.5, 1.5].
     */
    RANDOM
}
