package dev.thinet4j.selection;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The built-in channel-selection criteria, with their command-line names. */
public enum Criterion {
    /** ThiNet (ICCV 2017) greedy removal on the next layer's input contributions; see {@link ThiNetGreedy}. */
    THINET("thinet"),
    /** ThiNet journal variant: forward least-squares selection of the kept set; see {@link ThiNetForward}. */
    THINET_TPAMI("thinet-tpami"),
    /** Smallest L1 norm of the layer's own filters (Li et al. 2017); see {@link FilterNormCriterion}. */
    L1("l1"),
    /** Smallest L2 norm of the layer's own filters; see {@link FilterNormCriterion}. */
    L2("l2"),
    /** Highest average percentage of zeros after the activation (Hu et al. 2016); see {@link ApozCriterion}. */
    APOZ("apoz"),
    /** Smallest |γ| of the following batch normalisation (Liu et al. 2017); see {@link BnGammaCriterion}. */
    BN_GAMMA("bn-gamma"),
    /** Seeded uniform random choice; see {@link RandomCriterion}. */
    RANDOM("random"),
    /** Filters closest to the layer's geometric median (He et al., CVPR 2019); see {@link FpgmCriterion}. */
    FPGM("fpgm");

    private final String cliName;

    Criterion(String cliName) {
        this.cliName = cliName;
    }

    /** @return the command-line name, e.g. {@code bn-gamma} */
    public String cliName() {
        return cliName;
    }

    /** @return a new instance of the criterion */
    public ChannelCriterion create() {
        return switch (this) {
            case THINET -> new ThiNetGreedy();
            case THINET_TPAMI -> new ThiNetForward();
            case L1 -> new FilterNormCriterion(FilterNormCriterion.Norm.L1);
            case L2 -> new FilterNormCriterion(FilterNormCriterion.Norm.L2);
            case APOZ -> new ApozCriterion();
            case BN_GAMMA -> new BnGammaCriterion();
            case RANDOM -> new RandomCriterion();
            case FPGM -> new FpgmCriterion();
        };
    }

    /**
     * Parses a command-line name (case-insensitive; '_' accepted for '-').
     *
     * @param cliName e.g. {@code thinet}, {@code thinet-tpami}, {@code l1}
     * @return the criterion
     * @throws IllegalArgumentException listing the valid names when {@code cliName} is not one of them
     */
    public static Criterion parse(String cliName) {
        if (cliName != null) {
            String s = cliName.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            for (Criterion c : values()) {
                if (c.cliName.equals(s)) {
                    return c;
                }
            }
        }
        throw new IllegalArgumentException("unknown criterion '" + cliName + "'; valid: "
                + Arrays.stream(values()).map(Criterion::cliName).collect(Collectors.joining(", ")));
    }
}
