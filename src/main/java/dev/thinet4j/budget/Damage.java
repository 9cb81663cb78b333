package dev.thinet4j.budget;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What the budget solver adds up as a layer's predicted damage, from its sensitivity rows.
 */
public enum Damage {
    /**
     * e², the square of the relative logit error e = ‖Z′ − Z‖<sub>F</sub> / ‖Z‖<sub>F</sub> (the default). When layers
     * perturb the logits independently, Z′ − Z ≈ Σ<sub>i</sub> δ<sub>i</sub> with uncorrelated δ<sub>i</sub>, so
     * ‖Z′ − Z‖² ≈ Σ<sub>i</sub> ‖δ<sub>i</sub>‖² and the e² of a joint pruning is about the sum of the layers' e² — the
     * additivity the solver assumes. It is also continuous, where an accuracy drop on a few hundred held-out images
     * is quantised and noisy.
     */
    SQUARED_LOGIT_ERROR("squared-logit"),
    /** The table's metric: {@link SensitivityTable#damage} (accuracy drop with a logit tie-break, or e). */
    METRIC("metric");

    private final String cliName;

    Damage(String cliName) {
        this.cliName = cliName;
    }

    /** @return the command-line name */
    public String cliName() {
        return cliName;
    }

    /** The predicted damage of one row. */
    public double of(SensitivityTable table, SensitivityRow row) {
        return this == METRIC ? table.damage(row) : row.logitError() * row.logitError();
    }

    /**
     * Parses {@link #cliName()} (case-insensitive).
     *
     * @throws IllegalArgumentException listing the valid names
     */
    public static Damage parse(String name) {
        for (Damage d : values()) {
            if (name != null && d.cliName.equals(name.trim().toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown damage '" + name + "'; valid: "
                + Arrays.stream(values()).map(Damage::cliName).collect(Collectors.joining(", ")));
    }
}
