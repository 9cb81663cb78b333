package dev.thinet4j.budget;

import java.util.Locale;
import java.util.Objects;

/**
 * What the pruned network may cost: keep at most the fraction {@code keep} of the unpruned network's MACs (or
 * parameters), and land within {@code tolerance} of it — the solver aims for
 * keep·(1 − tolerance) ≤ cost/cost<sub>unpruned</sub> ≤ keep.
 *
 * @param resource        MACs or parameters
 * @param keep            fraction of the resource to keep, in (0, 1]
 * @param minChannels     fewest channels any pruned layer may keep (≥ 1)
 * @param channelMultiple kept channel counts must be multiples of this (1: any; 8 suits vector units), unless a
 *                        layer is left whole
 * @param tolerance       relative slack below the target, in [0, 1)
 */
public record BudgetTarget(Resource resource, double keep, int minChannels, int channelMultiple, double tolerance) {

    /** The resource a budget limits. */
    public enum Resource {
        /** Multiply-accumulates for one image, as {@link dev.thinet4j.model.ModelSize} counts them. */
        MACS,
        /** Learnable parameters, as {@link dev.thinet4j.model.ModelSize} counts them. */
        PARAMS;

        /** @return {@code macs} or {@code params} */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Default relative tolerance: 2 %. */
    public static final double DEFAULT_TOLERANCE = 0.02;

    public BudgetTarget {
        Objects.requireNonNull(resource, "resource");
        if (!(keep > 0 && keep <= 1)) {
            throw new IllegalArgumentException("the fraction of " + resource.id() + " to keep must be in (0, 1], got "
                    + keep);
        }
        if (minChannels < 1) {
            throw new IllegalArgumentException("minimum channels per layer must be at least 1, got " + minChannels);
        }
        if (channelMultiple < 1) {
            throw new IllegalArgumentException("channel multiple must be at least 1, got " + channelMultiple);
        }
        if (!(tolerance >= 0 && tolerance < 1)) {
            throw new IllegalArgumentException("tolerance must be in [0, 1), got " + tolerance);
        }
    }

    /** Keep the fraction {@code keep} of the MACs; 1 channel minimum, any count, 2 % tolerance. */
    public static BudgetTarget macs(double keep) {
        return new BudgetTarget(Resource.MACS, keep, 1, 1, DEFAULT_TOLERANCE);
    }

    /** Keep the fraction {@code keep} of the parameters; 1 channel minimum, any count, 2 % tolerance. */
    public static BudgetTarget params(double keep) {
        return new BudgetTarget(Resource.PARAMS, keep, 1, 1, DEFAULT_TOLERANCE);
    }

    public BudgetTarget withMinChannels(int n) {
        return new BudgetTarget(resource, keep, n, channelMultiple, tolerance);
    }

    public BudgetTarget withChannelMultiple(int m) {
        return new BudgetTarget(resource, keep, minChannels, m, tolerance);
    }

    public BudgetTarget withTolerance(double t) {
        return new BudgetTarget(resource, keep, minChannels, channelMultiple, t);
    }

    /** E.g. {@code macs<=0.5}. */
    public String describe() {
        return resource.id() + "<=" + keep;
    }
}
