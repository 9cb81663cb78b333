package dev.thinet4j.reconstruction;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the consumer of a pruned layer is refitted after its input channels are removed. */
public enum Reconstruction {
    /** Keep the consumer's remaining weights as they are. */
    NONE("none"),
    /** One least-squares scale per kept input channel (ThiNet eq. 7); see {@link ScaleReconstruction}. */
    SCALE("scale"),
    /** A full least-squares refit of the consumer's weights on the kept channels; see {@link FullReconstruction}. */
    FULL("full");

    private final String cliName;

    Reconstruction(String cliName) {
        this.cliName = cliName;
    }

    /** @return the command-line name */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses a command-line name (case-insensitive).
     *
     * @param cliName {@code none}, {@code scale} or {@code full}
     * @return the mode
     * @throws IllegalArgumentException listing the valid names when the name is unknown
     */
    public static Reconstruction parse(String cliName) {
        if (cliName != null) {
            String s = cliName.trim().toLowerCase(Locale.ROOT);
            for (Reconstruction r : values()) {
                if (r.cliName.equals(s)) {
                    return r;
                }
            }
        }
        throw new IllegalArgumentException("unknown reconstruction '" + cliName + "'; valid: "
                + Arrays.stream(values()).map(Reconstruction::cliName).collect(Collectors.joining(", ")));
    }
}
