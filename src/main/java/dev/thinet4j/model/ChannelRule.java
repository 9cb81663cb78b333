package dev.thinet4j.model;

/**
 * How an op's output channels relate to its input channels: the one fact the coupled-channel
 * analysis ({@code surgery.DependencyGraph}) needs from an op. Every {@link Op} declares its rule
 * with {@link Op#channelRule}; the channel axis is axis 1 (NCHW) unless a {@link Op.Transpose}
 * moves it.
 */
public enum ChannelRule {
    /**
     * Reads every input channel through weights and writes channels of its own: an ordinary conv
     * (groups = 1) or a linear layer. Its filters start a group; reading a group makes it a consumer
     * whose input axis is cut.
     */
    PRODUCER,
    /**
     * Per-channel weights that are cut with the channel, the group passing through: output channel c
     * computed from input channel c alone (depthwise conv, BatchNorm), or a LayerNorm over the
     * channels, whose scale and shift follow them (its statistics then run over the kept channels,
     * Torch-Pruning's rule).
     */
    PER_CHANNEL,
    /**
     * A grouped (not depthwise) conv, weight [C_out, C_in/g, k_h, k_w]: like {@link #PRODUCER} its filters start a
     * group and reading a group makes it a consumer, but with g blocks — filters in blocks of C_out/g, inputs in
     * blocks of C_in/g (the group must be its whole input) — each of which must lose the same number of channels,
     * so the conv keeps its g groups.
     */
    GROUPED,
    /**
     * Output channel c is a function of input channel c with no per-channel weights, or with a
     * constant broadcast along the channels (activations, pooling, Resize, Identity, arithmetic with a
     * scalar or a per-channel constant — the latter is cut with the channel).
     */
    PASS_THROUGH,
    /**
     * Two or more activations meet channel by channel (residual Add, a squeeze-excitation gate
     * {@code Mul}, {@code Sub}, {@code Div}): every input with the full channel count and the output
     * carry the same channels; an input broadcast along the channels (one channel) is not coupled.
     */
    ELEMENTWISE,
    /**
     * Output channels are input channels re-indexed: Concat (offsets), Slice (a range), channel
     * shuffle (a permutation), Transpose (the channel axis moves).
     */
    INDEX_MAP,
    /**
     * Flattening to features (Flatten, a channel-keeping Reshape to 2-D): channel c owns a block of
     * features that a following linear layer reads.
     */
    FLATTEN,
    /**
     * A reduction: per channel when the channel axis is not reduced (ReduceMean over H, W is
     * global pooling), mixing otherwise.
     */
    REDUCE,
    /**
     * Every output channel depends on every input channel without weights that could be cut
     * (Softmax over the channel axis): channels reaching it cannot be pruned.
     */
    MIXING
}
