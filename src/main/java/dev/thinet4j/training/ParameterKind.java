package dev.thinet4j.training;

/** What a trainable {@link Parameter} is; the suffix is PyTorch's name for it. */
public enum ParameterKind {
    /** Conv weight [C_out, C_in/groups, kH, kW] or Linear weight [out, in]. */
    WEIGHT("weight"),
    /** Conv or Linear bias [C_out]. */
    BIAS("bias"),
    /** BatchNorm scale γ [C] (PyTorch: {@code weight}). */
    BN_SCALE("weight"),
    /** BatchNorm shift β [C] (PyTorch: {@code bias}). */
    BN_SHIFT("bias"),
    /** LayerNorm scale γ [D] (PyTorch: {@code weight}); not decayed, not subject to the BN L1 penalty. */
    LN_SCALE("weight"),
    /** LayerNorm shift β [D] (PyTorch: {@code bias}). */
    LN_SHIFT("bias");

    private final String suffix;

    ParameterKind(String suffix) {
        this.suffix = suffix;
    }

    /** The name suffix: {@code <node>.<suffix>}. */
    public String suffix() {
        return suffix;
    }

    /** Whether weight decay applies by default (weights only; biases, BatchNorm and LayerNorm parameters are exempt). */
    public boolean decayedByDefault() {
        return this == WEIGHT;
    }
}
