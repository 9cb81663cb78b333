package dev.thinet4j.sampling;

import java.util.Map;

/**
 * What sampling one channel group produced.
 *
 * @param contributions ThiNet rows: x̂ ∈ ℝᶜ (each group channel's contribution to one sampled output
 *                      entry of a consumer) with target ŷ = Σ x̂ (k = 1); rows of every consumer are summed
 *                      into the same statistics, so the objective covers all consumers
 * @param full          per consumer node, normal equations over whole input patches (n = C_in·k_h·k_w for a
 *                      conv, C·H·W for a linear) with targets the consumer's outputs without bias (k = C_out);
 *                      empty unless full sampling was asked for
 * @param zeroFraction  per group channel, the fraction of zero activations in the first consumer's input (APoZ)
 * @param images        images seen
 */
public record GroupStatistics(NormalEquations contributions, Map<String, NormalEquations> full, double[] zeroFraction,
                              long images) {
    /**
     * Copies the map and the array.
     *
     * @param contributions see the record description
     * @param full see the record description
     * @param zeroFraction see the record description
     * @param images see the record description
     */
    public GroupStatistics {
        full = Map.copyOf(full);
        zeroFraction = zeroFraction.clone();
    }

    /** @return a copy of the zero fractions, one per group channel */
    @Override
    public double[] zeroFraction() {
        return zeroFraction.clone();
    }

    /**
     * Sampled ThiNet rows.
     *
     * @return the number of rows in {@link #contributions()}
     */
    public long samples() {
        return contributions.count();
    }
}
