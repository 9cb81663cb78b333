package dev.thinet4j.policy;

/**
 * One step of a pruning plan: remove the fraction {@code ratio} of the output channels of conv
 * {@code layer} (and everything coupled to them).
 */
public record LayerPlan(String layer, double ratio) {
    /**
     * Checks the ratio.
     *
     * @param layer the conv's node name
     * @param ratio the fraction of its output channels to remove, in [0, 1)
     * @throws IllegalArgumentException when the ratio is outside [0, 1) or NaN
     */
    public LayerPlan {
        if (!(ratio >= 0 && ratio < 1)) {
            throw new IllegalArgumentException("pruning ratio for '" + layer + "' must be in [0, 1), got " + ratio);
        }
    }
}
