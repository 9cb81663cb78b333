package dev.thinet4j.budget;

import java.util.Locale;

/** What a sensitivity analysis measures on the held-out images. */
public enum Metric {
    /** Top-1 accuracy (higher is better); used when labels are given. Damage = baseline − accuracy. */
    ACCURACY("accuracy"),
    /**
     * Relative error of the logits against the unpruned network's, e = ‖Z′ − Z‖<sub>F</sub> / ‖Z‖<sub>F</sub> over all
     * held-out images (Z: N×K logits of the unpruned network, Z′ those of the pruned one); used without labels.
     * Baseline 0; damage = e.
     */
    LOGIT_ERROR("logit_error");

    private final String id;

    Metric(String id) {
        this.id = id;
    }

    /** @return the name used in CSV files, e.g. {@code accuracy} */
    public String id() {
        return id;
    }

    /** Whether a larger value is better. */
    public boolean higherIsBetter() {
        return this == ACCURACY;
    }

    /**
     * The damage of a measured value against the unpruned network's: baseline − value for accuracy, value − baseline
     * for the logit error. May be negative (pruning helped on the held-out images).
     */
    public double damage(double baseline, double value) {
        return higherIsBetter() ? baseline - value : value - baseline;
    }

    /**
     * Parses {@link #id()} (case-insensitive).
     *
     * @throws IllegalArgumentException listing the valid ids
     */
    public static Metric parse(String id) {
        for (Metric m : values()) {
            if (m.id.equals(id == null ? null : id.trim().toLowerCase(Locale.ROOT))) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric '" + id + "'; valid: accuracy, logit_error");
    }
}
