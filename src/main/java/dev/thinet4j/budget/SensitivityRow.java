package dev.thinet4j.budget;

import java.util.Objects;

/**
 * One measurement of a sensitivity analysis: layer {@code layer} pruned alone at {@code ratio}.
 *
 * @param layer       the conv whose output channels were pruned (with everything coupled to them)
 * @param channels    its channel count C before pruning
 * @param ratio       the pruning ratio asked for
 * @param removed     channels actually removed, ⌊C·ratio⌋ capped at C − 1
 * @param metric      the measured value of the table's {@link Metric} (accuracy or logit error)
 * @param logitError  the relative error of the logits against the unpruned network's (also measured when the
 *                    metric is accuracy; it orders layers whose accuracy does not move)
 * @param macsSaved   MACs (one image) of the unpruned network minus those of the pruned one
 * @param paramsSaved parameters of the unpruned network minus those of the pruned one
 */
public record SensitivityRow(String layer, int channels, double ratio, int removed, double metric, double logitError,
                             long macsSaved, long paramsSaved) {
    public SensitivityRow {
        Objects.requireNonNull(layer, "layer");
        if (channels < 1 || removed < 0 || removed >= channels) {
            throw new IllegalArgumentException("row of '" + layer + "': removed " + removed + " of " + channels
                    + " channels; must be in [0, C − 1]");
        }
        if (!(ratio >= 0 && ratio < 1)) {
            throw new IllegalArgumentException("row of '" + layer + "': ratio " + ratio + " outside [0, 1)");
        }
    }
}
