package dev.thinet4j.selection;

import dev.thinet4j.model.Tensor;
import dev.thinet4j.sampling.NormalEquations;
import java.util.Arrays;
import java.util.Objects;

/**
 * Everything a {@link ChannelCriterion} may use to choose the channels of one layer. Inputs a criterion
 * does not need may be {@code null}; the criterion that needs one that is missing throws a clear error.
 *
 * @param layer         the name of the layer whose output channels are pruned (for messages)
 * @param channels      C, the number of output channels of that layer (≥ 1)
 * @param filters       the weights of the pruned conv, [C, …] (the filter of channel c is the slice at
 *                      index c of axis 0), or null
 * @param bnGamma       the scale γ of the batch normalisation that follows the layer, C values, or null
 * @param zeroFraction  per channel, the fraction of activations that are zero (APoZ), C values in [0, 1], or null
 * @param contributions ThiNet statistics: rows x̂ ∈ ℝᶜ (the contribution of each input channel of the next
 *                      layer to one sampled output entry), target ŷ (k = 1), or null. Kept by reference, never
 *                      modified.
 * @param seed          seed for criteria that draw random numbers
 */
public record SelectionContext(String layer, int channels, Tensor filters, double[] bnGamma, double[] zeroFraction,
                               NormalEquations contributions, long seed) {

    /**
     * Checks the inputs and copies the arrays.
     *
     * @param layer see the record description
     * @param channels see the record description
     * @param filters see the record description
     * @param bnGamma see the record description
     * @param zeroFraction see the record description
     * @param contributions see the record description
     * @param seed see the record description
     * @throws IllegalArgumentException when a given input does not have C channels or holds non-finite values
     */
    public SelectionContext {
        Objects.requireNonNull(layer, "layer");
        if (channels < 1) {
            throw new IllegalArgumentException("layer '" + layer + "' has " + channels + " channels; need at least 1");
        }
        if (filters != null && (filters.rank() < 1 || filters.dim(0) != channels)) {
            throw new IllegalArgumentException("layer '" + layer + "' has " + channels + " channels but its filters are "
                    + Arrays.toString(filters.shape()));
        }
        bnGamma = checked(bnGamma, "bnGamma", layer, channels);
        zeroFraction = checked(zeroFraction, "zeroFraction", layer, channels);
        if (contributions != null && contributions.features() != channels) {
            throw new IllegalArgumentException("layer '" + layer + "' has " + channels
                    + " channels but its contribution statistics have " + contributions.features() + " features");
        }
    }

    private static double[] checked(double[] v, String what, String layer, int channels) {
        if (v == null) {
            return null;
        }
        if (v.length != channels) {
            throw new IllegalArgumentException("layer '" + layer + "' has " + channels + " channels but " + what
                    + " has " + v.length + " values");
        }
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                throw new IllegalArgumentException(what + "[" + i + "] of layer '" + layer + "' is " + v[i]);
            }
        }
        return v.clone();
    }

    /**
     * A context with only the filters (for L1 / L2), seed 0.
     *
     * @param layer   the layer's name
     * @param filters its weights, [C, …]
     * @return the context
     */
    public static SelectionContext ofFilters(String layer, Tensor filters) {
        return new SelectionContext(layer, filters.dim(0), filters, null, null, null, 0L);
    }

    /**
     * A context with only ThiNet contribution statistics, seed 0.
     *
     * @param layer         the layer's name
     * @param contributions the statistics, one feature per channel
     * @return the context
     */
    public static SelectionContext ofContributions(String layer, NormalEquations contributions) {
        return new SelectionContext(layer, contributions.features(), null, null, null, contributions, 0L);
    }

    /** @return a copy of γ, or null */
    @Override
    public double[] bnGamma() {
        return bnGamma == null ? null : bnGamma.clone();
    }

    /** @return a copy of the zero fractions, or null */
    @Override
    public double[] zeroFraction() {
        return zeroFraction == null ? null : zeroFraction.clone();
    }

    Tensor requireFilters(String criterion) {
        if (filters == null) {
            throw missing(criterion, "the weights of the pruned layer");
        }
        return filters;
    }

    double[] requireBnGamma(String criterion) {
        if (bnGamma == null) {
            throw missing(criterion, "the scale (gamma) of a batch normalisation following the layer");
        }
        return bnGamma.clone();
    }

    double[] requireZeroFraction(String criterion) {
        if (zeroFraction == null) {
            throw missing(criterion, "activation statistics (fraction of zeros per channel)");
        }
        return zeroFraction.clone();
    }

    NormalEquations requireContributions(String criterion) {
        if (contributions == null) {
            throw missing(criterion, "sampled contribution statistics of the next layer");
        }
        return contributions;
    }

    private IllegalArgumentException missing(String criterion, String what) {
        return new IllegalArgumentException("criterion '" + criterion + "' needs " + what + " for layer '" + layer
                + "', but none were given");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SelectionContext c && layer.equals(c.layer) && channels == c.channels
                && Objects.equals(filters, c.filters) && Arrays.equals(bnGamma, c.bnGamma)
                && Arrays.equals(zeroFraction, c.zeroFraction) && contributions == c.contributions && seed == c.seed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(layer, channels, filters, Arrays.hashCode(bnGamma), Arrays.hashCode(zeroFraction),
                System.identityHashCode(contributions), seed);
    }

    @Override
    public String toString() {
        return "SelectionContext[layer=" + layer + ", channels=" + channels
                + (filters != null ? ", filters" : "") + (bnGamma != null ? ", bnGamma" : "")
                + (zeroFraction != null ? ", zeroFraction" : "") + (contributions != null ? ", " + contributions : "")
                + ", seed=" + seed + "]";
    }
}
