package dev.thinet4j.sampling;

import java.util.List;
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
 * @param groupedFull   per grouped consumer conv (weight [C_out, C_in/g, k_h, k_w], g groups), one set of normal
 *                      equations per conv group q: rows are the patches of q's C_in/g input channels
 *                      (n = C_in/g·k_h·k_w), targets the outputs of q's C_out/g filters without bias (k = C_out/g);
 *                      the same sampled rows for every q. Empty unless full sampling was asked for. Such a
 *                      consumer has no entry in {@code full}.
 */
public record GroupStatistics(NormalEquations contributions, Map<String, NormalEquations> full, double[] zeroFraction,
                              long images, Map<String, List<NormalEquations>> groupedFull) {
    /**
     * Copies the maps and the array.
     *
     * @param contributions see the record description
     * @param full see the record description
     * @param zeroFraction see the record description
     * @param images see the record description
     * @param groupedFull see the record description
     */
    public GroupStatistics {
        full = Map.copyOf(full);
        zeroFraction = zeroFraction.clone();
        Map<String, List<NormalEquations>> g = new java.util.LinkedHashMap<>();
        groupedFull.forEach((k, v) -> g.put(k, List.copyOf(v)));
        groupedFull = java.util.Collections.unmodifiableMap(g);
    }

    /**
     * Statistics without grouped consumers.
     *
     * @param contributions see the record description
     * @param full see the record description
     * @param zeroFraction see the record description
     * @param images see the record description
     */
    public GroupStatistics(NormalEquations contributions, Map<String, NormalEquations> full, double[] zeroFraction,
                           long images) {
        this(contributions, full, zeroFraction, images, Map.of());
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
