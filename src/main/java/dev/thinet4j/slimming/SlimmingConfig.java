package dev.thinet4j.slimming;

/**
 * Immutable configuration of {@link NetworkSlimming#slim}; build with {@link #builder()}.
 *
 * <p>Selection: every scored BN (the BN directly after a prunable conv, and the BN directly after a
 * depthwise conv of the same channel group) contributes its |γ| values to one pool of n values;
 * sorted ascending v<sub>0</sub> ≤ … ≤ v<sub>n−1</sub>, the threshold is t = v<sub>k</sub> with
 * k = ⌊globalPercent·n⌋, and a channel is removable for that BN when |γ| &lt; t (so k values fall
 * below t when there are no ties). Each BN then keeps at least max(1, ⌈layerKeep·C⌉) channels (its
 * largest |γ|, ties to the lower index), C being the group's channel count.
 *
 * @param globalPercent fraction of all scored |γ| values below the threshold, in [0, 1)
 * @param layerKeep     minimum fraction of channels every layer keeps, in [0, 1]; at least one is always kept
 * @param removeBlocks  residual blocks to remove before channel slimming ({@link BlockRemoval}), ≥ 0
 * @param depthwise     how masks around a depthwise conv are reconciled
 * @param absorb        push the constant act(β) of removed channels into the layers that read them
 */
public record SlimmingConfig(double globalPercent, double layerKeep, int removeBlocks, DepthwiseStrategy depthwise,
                             boolean absorb) {
    public SlimmingConfig {
        if (!(globalPercent >= 0 && globalPercent < 1)) {
            throw new IllegalArgumentException("global percent must be in [0, 1), got " + globalPercent);
        }
        if (!(layerKeep >= 0 && layerKeep <= 1)) {
            throw new IllegalArgumentException("layer keep must be in [0, 1], got " + layerKeep);
        }
        if (removeBlocks < 0) {
            throw new IllegalArgumentException("blocks to remove must be >= 0, got " + removeBlocks);
        }
        if (depthwise == null) {
            throw new IllegalArgumentException("depthwise strategy must not be null");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Channels a layer of {@code channels} keeps at least: max(1, ⌈layerKeep·channels⌉), the product
     * taken with a 1e-9 tolerance so that, e.g., 0.1·30 gives 3 and not 4.
     */
    public int minKeep(int channels) {
        int k = (int) Math.ceil(layerKeep * channels - 1e-9);
        return Math.max(1, Math.min(channels, k));
    }

    /** Mutable builder; defaults: global percent 0.3, layer keep 0.1, no block removal, keep-larger, absorb. */
    public static final class Builder {
        private double globalPercent = 0.3;
        private double layerKeep = 0.1;
        private int removeBlocks = 0;
        private DepthwiseStrategy depthwise = DepthwiseStrategy.KEEP_LARGER;
        private boolean absorb = true;

        public Builder globalPercent(double v) {
            globalPercent = v;
            return this;
        }

        public Builder layerKeep(double v) {
            layerKeep = v;
            return this;
        }

        public Builder removeBlocks(int v) {
            removeBlocks = v;
            return this;
        }

        public Builder depthwise(DepthwiseStrategy v) {
            depthwise = v;
            return this;
        }

        public Builder absorb(boolean v) {
            absorb = v;
            return this;
        }

        /** @throws IllegalArgumentException naming the first value out of range */
        public SlimmingConfig build() {
            return new SlimmingConfig(globalPercent, layerKeep, removeBlocks, depthwise, absorb);
        }
    }
}
