package dev.thinet4j.training;

/** The update rule of an {@link Optimizer}. */
public enum OptimizerType {
    /**
     * Stochastic gradient descent with momentum μ (PyTorch's {@code SGD}, dampening 0):
     * g = ∇ + λ·w, v ← μ·v + g, w ← w − η·v (Nesterov: w ← w − η·(g + μ·v)). μ = 0 is plain SGD.
     */
    SGD,
    /**
     * Adam with L2 weight decay in the gradient (PyTorch's {@code Adam}): g = ∇ + λ·w,
     * m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g², w ← w − η·m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ).
     */
    ADAM,
    /** Adam with decoupled weight decay (PyTorch's {@code AdamW}): w ← w − η·λ·w, then the Adam step on g = ∇. */
    ADAMW
}
