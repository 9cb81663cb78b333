package dev.thinet4j.head;

import java.util.Locale;

/** How the new linear layer of a GAP head is initialised. */
public enum HeadInit {
    /**
     * Ridge least squares from the GAP features to the original network's logits on calibration
     * images (see {@link HeadReplacement}), so the new head approximates the old one before training.
     */
    LEAST_SQUARES,
    /** Weight and bias zero: every class scores 0 until the head is trained. */
    ZERO,
    /** PyTorch's {@code nn.Linear} default: weight and bias uniform in [−1/√C, 1/√C], seeded. */
    RANDOM;

    /** {@return the command-line spelling: {@code least-squares}, {@code zero} or {@code random}} */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses a command-line spelling.
     *
     * @param s {@code least-squares} (or {@code ls}), {@code zero} or {@code random}
     * @return the init
     * @throws IllegalArgumentException for another value, listing the accepted ones
     */
    public static HeadInit parse(String s) {
        for (HeadInit h : values()) {
            if (h.cliName().equals(s)) {
                return h;
            }
        }
        if ("ls".equals(s)) {
            return LEAST_SQUARES;
        }
        throw new IllegalArgumentException("unknown head init '" + s + "'; expected least-squares, zero or random");
    }
}
