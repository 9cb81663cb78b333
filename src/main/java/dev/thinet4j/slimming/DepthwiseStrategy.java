package dev.thinet4j.slimming;

import java.util.Arrays;
import java.util.Locale;

/**
 * How the two masks of channels that pass through a depthwise conv are reconciled. A depthwise conv
 * ties its input channel to its output channel, so the BN(s) before it (after the producing convs)
 * and the BN directly after it must agree on one mask for the channel group.
 *
 * <p>With K<sub>in</sub> the channels the input-side BNs keep (Add-coupled producers already combined:
 * the union of their kept sets) and K<sub>d</sub> the channels kept by the BN after depthwise conv d:
 */
public enum DepthwiseStrategy {
    /**
     * Keep a channel when any side keeps it: kept = K<sub>in</sub> ∪ K<sub>d</sub> ∪ … (the larger set;
     * a channel goes only when every BN lets it go).
     */
    KEEP_LARGER("keep-larger"),
    /**
     * Keep a channel only when every side keeps it: kept = K<sub>in</sub> ∩ K<sub>d</sub> ∩ …; if that
     * leaves fewer than max(1, ⌈layerKeep·C⌉) channels the set is topped up by the largest combined
     * score min(max over input-side BNs of |γ|, min over depthwise BNs of |γ|).
     */
    INTERSECT("intersect");

    private final String cliName;

    DepthwiseStrategy(String cliName) {
        this.cliName = cliName;
    }

    /** The command-line spelling: {@code keep-larger} or {@code intersect}. */
    public String cliName() {
        return cliName;
    }

    /**
     * @param name {@code keep-larger} or {@code intersect} (case-insensitive; {@code _} accepted for {@code -})
     * @throws IllegalArgumentException listing the accepted names
     */
    public static DepthwiseStrategy parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        for (DepthwiseStrategy s : values()) {
            if (s.cliName.equals(n)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown depthwise strategy '" + name + "'; expected one of "
                + Arrays.stream(values()).map(DepthwiseStrategy::cliName).toList());
    }
}
